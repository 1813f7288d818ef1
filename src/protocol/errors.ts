/** Every failure of the protocol core is a ProtocolError: callers switch on `code`, people read `message`. */
export type ProtocolErrorCode =
  | 'canonical_json'
  | 'invalid_json'
  | 'base64'
  | 'invalid_key'
  | 'invalid_seed'
  | 'recovery_key'
  | 'unknown_room_version'
  | 'invalid_event'
  | 'invalid_argument';

export class ProtocolError extends Error {
  override readonly name: string = 'ProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

export type RecoveryKeyErrorKind = 'empty' | 'bad_character' | 'too_short' | 'too_long' | 'bad_prefix' | 'bad_parity';

export class RecoveryKeyError extends ProtocolError {
  override readonly name: string = 'RecoveryKeyError';
  readonly kind: RecoveryKeyErrorKind;
  /** For 'bad_character': the offending character and its 0-based index in the text as given. */
  readonly character?: string;
  readonly position?: number;

  constructor(kind: RecoveryKeyErrorKind, message: string, detail: { character?: string; position?: number } = {}) {
    super('recovery_key', message);
    this.kind = kind;
    if (detail.character !== undefined) this.character = detail.character;
    if (detail.position !== undefined) this.position = detail.position;
  }
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}
