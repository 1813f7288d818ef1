import { inputClass } from './controls';

/** A Matrix user ID to type (invite, new DM): labelled, focused first, never spell-checked. */
export function UserIdField({ label, value, onChange }: { label: string; value: string; onChange: (value: string) => void }) {
  return (
    <label className="block space-y-1">
      <span className="text-sm">{label}</span>
      <input
        className={inputClass}
        value={value}
        onChange={(e) => onChange(e.target.value)}
        placeholder="@alice:example.org"
        autoFocus
        spellCheck={false}
      />
    </label>
  );
}
