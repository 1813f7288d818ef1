// Every person's name and handle goes through here: sanitised (no bidi overrides or invisible characters, as
// matrix-js-sdk strips them) and isolated, so a name written right-to-left cannot reorder what follows it
// ("\u202Erotciv" must not turn the rest of the line around), nor pretend to be someone else's.
import { sanitiseDisplayName } from '../../protocol/confusables';

export function SenderName({ name, className = '' }: { name: string; className?: string }) {
  return (
    <bdi className={className} data-sender-name>
      {sanitiseDisplayName(name)}
    </bdi>
  );
}

/** A name inside plain text (a translated sentence, an accessible name): sanitised and wrapped in FSI … PDI. */
export function isolatedName(name: string): string {
  return `\u2068${sanitiseDisplayName(name)}\u2069`;
}
