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
  /**
   * When changing the case of one letter makes the key check out: that letter (its character, 0-based index in the
   * text as given, 1-based place among the key's characters) and what it should be. A guess (the parity byte can
   * pass by chance), so people are asked, not told.
   */
  readonly caseSuggestion?: { character: string; position: number; ordinal: number; replacement: string };

  constructor(
    kind: RecoveryKeyErrorKind,
    message: string,
    detail: { character?: string; position?: number; caseSuggestion?: RecoveryKeyError['caseSuggestion'] } = {},
  ) {
    super('recovery_key', message);
    this.kind = kind;
    if (detail.character !== undefined) this.character = detail.character;
    if (detail.position !== undefined) this.position = detail.position;
    if (detail.caseSuggestion !== undefined) this.caseSuggestion = detail.caseSuggestion;
  }
}

export function isProtocolError(value: unknown): value is ProtocolError {
  return value instanceof ProtocolError;
}
