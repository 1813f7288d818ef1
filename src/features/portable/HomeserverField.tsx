import { inputClass } from '../../ui/controls';

export function HomeserverField({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  return (
    <label className="block space-y-1">
      <span className="text-sm">Homeserver</span>
      <input className={inputClass} value={value} autoComplete="url" spellCheck={false} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}
