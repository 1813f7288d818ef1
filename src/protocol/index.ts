// The protocol core: pure, isomorphic TypeScript shared by the client and the reference homeserver.
export * from './errors';
export * from './canonical-json';
export * from './base64';
export * from './keys';
export * from './ed25519';
export * from './signing';
