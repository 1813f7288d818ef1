// The protocol core: pure, isomorphic TypeScript shared by the client and the reference homeserver.
export * from './errors';
export * from './canonical-json';
export * from './base64';
export * from './keys';
export * from './ed25519';
export * from './signing';
export * from './random';
export * from './recovery-key';
export * from './derivation';
export * from './room-versions';
export * from './redaction';
export * from './events';
export * from './server-keys';
export * from './links';
export * from './identity';
export * from './account-key-login';
export * from './x-matrix';
