// The slice of WebCrypto the protocol core uses, typed locally so that neither DOM nor Node types are needed.
export interface WebCryptoKey {
  readonly algorithm: { name: string };
}

export interface WebSubtleCrypto {
  importKey(
    format: 'raw',
    keyData: Uint8Array,
    algorithm: { name: 'Ed25519' },
    extractable: boolean,
    usages: 'verify'[],
  ): Promise<WebCryptoKey>;
  verify(algorithm: 'Ed25519', key: WebCryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
}

export interface WebCrypto {
  getRandomValues<T extends Uint8Array>(array: T): T;
  readonly subtle?: WebSubtleCrypto;
}

export function webCrypto(): WebCrypto | undefined {
  return (globalThis as { crypto?: WebCrypto }).crypto;
}
