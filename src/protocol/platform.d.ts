// The few platform APIs the protocol core uses. They exist in browsers and in Node ≥ 20 alike; declared here
// so the isomorphic tsconfig can stay free of DOM and Node types (a stray `document` or `Buffer` must fail).
declare global {
  class TextEncoder {
    encode(input?: string): Uint8Array;
  }
  class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean });
    decode(input?: Uint8Array): string;
  }
  interface WebCryptoKey {
    readonly algorithm: { name: string };
  }
  interface WebSubtleCrypto {
    importKey(
      format: 'raw',
      keyData: Uint8Array,
      algorithm: { name: 'Ed25519' },
      extractable: boolean,
      usages: readonly 'verify'[],
    ): Promise<WebCryptoKey>;
    verify(algorithm: { name: 'Ed25519' } | 'Ed25519', key: WebCryptoKey, signature: Uint8Array, data: Uint8Array): Promise<boolean>;
  }
  interface WebCrypto {
    getRandomValues<T extends Uint8Array>(array: T): T;
    readonly subtle?: WebSubtleCrypto;
  }
  // eslint-disable-next-line no-var
  var crypto: WebCrypto;
}

export {};
