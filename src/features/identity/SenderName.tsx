// Every person's name and handle goes through here: sanitised (no bidi overrides or invisible characters, as
// matrix-js-sdk strips them) and isolated, so a name written right-to-left cannot reorder what follows it
// ("\u202Erotciv" must not turn the rest of the line around), nor pretend to be someone else's.
import { sanitiseDisplayName } from '../../protocol/confusables';

export function SenderName({ name, className }: { name: string; className?: string }) {
  return (
    <bdi className={className} data-sender-name>
      {sanitiseDisplayName(name)}
    </bdi>
  );
}

/** Several names, each isolated, separated by commas (the text reads "alice, bob" as before). */
export function SenderNames({ names }: { names: readonly string[] }) {
  return names.map((name, i) => (
    <span key={i}>
      {i > 0 && ', '}
      <SenderName name={name} />
    </span>
  ));
}

/**
 * A translated sentence with the names put in as isolated elements: the message is formatted with a placeholder
 * where the names go, so the catalogue keeps the whole sentence and its plural forms.
 */
export function SentenceWithNames({ format, names }: { format: (placeholder: string) => string; names: readonly string[] }) {
  const PLACEHOLDER = '\u0000';
  const [before = '', after = ''] = format(PLACEHOLDER).split(PLACEHOLDER);
  return (
    <>
      {before}
      <SenderNames names={names} />
      {after}
    </>
  );
}
