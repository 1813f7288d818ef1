import { base58 } from '@scure/base';
import { RecoveryKeyError } from './errors';
import { randomBytes } from './random';

// The spec's secret-storage key representation (PROTOCOL.md §2): 0x8B 0x01, 32 key bytes, XOR parity; base58.
const PREFIX = [0x8b, 0x01] as const;
export const RECOVERY_SECRET_LENGTH = 32;
const RAW_LENGTH = PREFIX.length + RECOVERY_SECRET_LENGTH + 1;
/** Every encoded key has exactly this many characters: 35 bytes starting 0x8B01 always need 48 base58 digits. */
export const RECOVERY_KEY_CHARACTERS = 48;
const BASE58_ALPHABET = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

export function generateRecoverySecret(): Uint8Array {
  return randomBytes(RECOVERY_SECRET_LENGTH);
}

/** The recovery key as shown to a person: base58 in groups of 4 separated by single spaces. */
export function encodeRecoveryKey(secret: Uint8Array): string {
  if (!(secret instanceof Uint8Array) || secret.length !== RECOVERY_SECRET_LENGTH) {
    throw new RecoveryKeyError(
      secret instanceof Uint8Array && secret.length < RECOVERY_SECRET_LENGTH ? 'too_short' : 'too_long',
      `a recovery secret is ${RECOVERY_SECRET_LENGTH} bytes`,
    );
  }
  const raw = new Uint8Array(RAW_LENGTH);
  raw.set(PREFIX, 0);
  raw.set(secret, PREFIX.length);
  raw[RAW_LENGTH - 1] = xorAll(raw.subarray(0, RAW_LENGTH - 1));
  return base58.encode(raw).replace(/(.{4})(?!$)/g, '$1 ');
}

/**
 * Decodes a typed or pasted recovery key. Whitespace, dashes, underscores and dots are group separators and are
 * ignored (none of them is a base58 digit, so nothing is lost). Throws RecoveryKeyError.
 */
export function decodeRecoveryKey(text: string): Uint8Array {
  if (typeof text !== 'string') throw new RecoveryKeyError('empty', 'the recovery key must be text');
  const typed = keyCharacters(text);
  try {
    return decodeCharacters(typed);
  } catch (error) {
    throw error instanceof RecoveryKeyError ? withCaseHint(error, typed) : error;
  }
}

/** The characters of a key with their places in the text as given; separators dropped. */
type KeyCharacter = { character: string; position: number };

function keyCharacters(text: string): KeyCharacter[] {
  const characters: KeyCharacter[] = [];
  let position = 0;
  for (const character of text) {
    if (!SEPARATOR.test(character)) characters.push({ character, position });
    position += character.length;
  }
  return characters;
}

const SEPARATOR = /[\s\-_.]/u;

function decodeCharacters(typed: readonly KeyCharacter[]): Uint8Array {
  typed.forEach(({ character, position }, index) => {
    if (!BASE58_ALPHABET.includes(character)) throw badCharacter(character, position, index + 1);
  });
  const compact = typed.map(({ character }) => character).join('');
  if (compact.length === 0) throw new RecoveryKeyError('empty', 'enter your recovery key');
  if (compact.length < RECOVERY_KEY_CHARACTERS) {
    throw new RecoveryKeyError(
      'too_short',
      `this recovery key has ${compact.length} characters; a recovery key has ${RECOVERY_KEY_CHARACTERS}. Some characters are missing.`,
    );
  }
  if (compact.length > RECOVERY_KEY_CHARACTERS) {
    throw new RecoveryKeyError(
      'too_long',
      `this recovery key has ${compact.length} characters; a recovery key has ${RECOVERY_KEY_CHARACTERS}. There are extra characters.`,
    );
  }
  const raw = base58.decode(compact);
  if (raw.length < RAW_LENGTH) throw new RecoveryKeyError('too_short', 'this recovery key is too short: it holds fewer than 32 key bytes');
  if (raw.length > RAW_LENGTH) throw new RecoveryKeyError('too_long', 'this recovery key is too long: it holds more than 32 key bytes');
  if (raw[0] !== PREFIX[0] || raw[1] !== PREFIX[1]) {
    throw new RecoveryKeyError(
      'bad_prefix',
      'this is not a recovery key: it does not start the way recovery keys do (they begin with "Es")',
    );
  }
  if (xorAll(raw.subarray(0, RAW_LENGTH - 1)) !== raw[RAW_LENGTH - 1]) {
    throw new RecoveryKeyError('bad_parity', 'this recovery key does not check out: one character is probably mistyped');
  }
  return raw.slice(PREFIX.length, PREFIX.length + RECOVERY_SECRET_LENGTH);
}

const swapCase = (character: string) => {
  const upper = character.toUpperCase();
  return upper === character ? character.toLowerCase() : upper;
};

/**
 * Case is the commonest slip in a base58 key. When exactly one letter with its case changed makes the key check out,
 * ask about that letter; when the key has letters of one case only, say that case matters. Kind and place stay.
 */
function withCaseHint(error: RecoveryKeyError, typed: readonly KeyCharacter[]): RecoveryKeyError {
  // 48 characters that don't decode: a character base58 lacks, bytes of the wrong length, prefix or parity.
  if (typed.length !== RECOVERY_KEY_CHARACTERS) return error;
  const fixes: number[] = [];
  typed.forEach(({ character }, index) => {
    const swapped = swapCase(character);
    if (swapped === character || !BASE58_ALPHABET.includes(swapped)) return;
    const candidate = typed.map((entry, at) => (at === index ? { ...entry, character: swapped } : entry));
    try {
      decodeCharacters(candidate);
      fixes.push(index);
    } catch {
      // not this letter
    }
  });
  const detail = { character: error.character, position: error.position };
  if (fixes.length === 1) {
    const index = fixes[0]!;
    const { character, position } = typed[index]!;
    const replacement = swapCase(character);
    const which = replacement === replacement.toUpperCase() ? 'upper' : 'lower';
    return new RecoveryKeyError(
      error.kind,
      `this recovery key does not check out: one character is probably mistyped. Recovery keys are case-sensitive: should character ${index + 1}, "${character}", be ${which}-case ("${replacement}")?`,
      { ...detail, caseSuggestion: { character, position, ordinal: index + 1, replacement } },
    );
  }
  const letters = typed.map(({ character }) => character).join('');
  if (/\p{L}/u.test(letters) && (letters === letters.toLowerCase() || letters === letters.toUpperCase())) {
    return new RecoveryKeyError(
      error.kind,
      `${error.message}. Recovery keys are case-sensitive: type upper- and lower-case letters exactly as they are in your saved key.`,
      detail,
    );
  }
  return error;
}

export function checkRecoveryKey(text: string): { ok: true; secret: Uint8Array } | { ok: false; error: RecoveryKeyError } {
  try {
    return { ok: true, secret: decodeRecoveryKey(text) };
  } catch (error) {
    if (error instanceof RecoveryKeyError) return { ok: false, error };
    throw error;
  }
}

function badCharacter(character: string, position: number, ordinal: number): RecoveryKeyError {
  const shown = /\p{L}|\p{N}|\p{P}|\p{S}/u.test(character)
    ? `"${character}"`
    : `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
  const hint = '0OIl'.includes(character)
    ? ' Recovery keys never use 0 (zero), O (capital o), I (capital i) or l (lower-case L), because they look alike.'
    : ' Recovery keys use only letters and digits, without 0, O, I and l.';
  return new RecoveryKeyError(
    'bad_character',
    `character ${ordinal} of the recovery key, ${shown}, cannot be part of a recovery key.${hint}`,
    {
      character,
      position,
    },
  );
}

function xorAll(bytes: Uint8Array): number {
  let parity = 0;
  for (const byte of bytes) parity ^= byte;
  return parity;
}
