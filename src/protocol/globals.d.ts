// Text coding exists in browsers and Node ≥ 20 alike; declared here so the isomorphic tsconfig can stay free
// of DOM and Node types (a stray `document` or `Buffer` must fail). WebCrypto is typed in platform.ts.
declare global {
  class TextEncoder {
    encode(input?: string): Uint8Array;
  }
  class TextDecoder {
    constructor(label?: string, options?: { fatal?: boolean });
    decode(input?: Uint8Array): string;
  }
}

export {};
