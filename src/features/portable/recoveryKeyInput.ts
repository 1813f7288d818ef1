// What the recovery-key field says as the user types: the protocol core's precise reasons, sorted into
// "keep typing" (only too short so far) and real mistakes (a character base58 never uses, extra characters, parity).
import { checkRecoveryKey, RECOVERY_KEY_CHARACTERS, type RecoveryKeyErrorKind } from '../../protocol';
import { t } from '../../i18n';

export type RecoveryKeyField =
  | { state: 'empty' }
  | { state: 'incomplete'; message: string; typed: number }
  | { state: 'invalid'; kind: RecoveryKeyErrorKind; message: string }
  | { state: 'valid'; secret: Uint8Array };

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

export function readRecoveryKeyField(text: string): RecoveryKeyField {
  const result = checkRecoveryKey(text);
  if (result.ok) return { state: 'valid', secret: result.secret };
  const { kind, message } = result.error;
  if (kind === 'empty') return { state: 'empty' };
  if (kind === 'too_short') {
    const typed = text.replace(/[\s\-_.]/gu, '').length;
    return { state: 'incomplete', typed, message: `${typed} of ${RECOVERY_KEY_CHARACTERS} characters. ${capitalise(message)}` };
  }
  return { state: 'invalid', kind, message: capitalise(message) };
}

/** Groups of 4, as the key is shown: for re-typing checks and for display. */
export function recoveryKeyGroups(recoveryKey: string): string[] {
  return recoveryKey.replace(/[\s\-_.]/gu, '').match(/.{1,4}/g) ?? [];
}

/** Two different group positions (0-based, ascending) for the user to re-type. */
export function pickConfirmationGroups(groupCount: number, random: (n: number) => number = randomIndex): [number, number] {
  if (groupCount < 2) throw new RangeError('a recovery key has at least two groups');
  const first = random(groupCount);
  let second = random(groupCount - 1);
  if (second >= first) second += 1;
  return first < second ? [first, second] : [second, first];
}

function randomIndex(n: number): number {
  const values = crypto.getRandomValues(new Uint32Array(1));
  return values[0]! % n;
}

/** The text file offered for download: the key and what it is for, nothing else. */
export function recoveryKeyFileText(recoveryKey: string, createdOn: string): string {
  return [
    t('portable.keyFile.title'),
    '',
    recoveryKey,
    '',
    t('portable.keyFile.created', { date: createdOn }),
    t('portable.keyFile.keepSafe'),
    '',
  ].join('\n');
}
