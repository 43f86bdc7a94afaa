/**
 * What the admin screens share: an action runner with its busy state and
 * error or success note, the form it submits, a text field bound to a
 * record, and the enterprise picker of the gateways and overrides screens.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { t } from '../../i18n.ts';
import type { BoardRow } from '../../../inspections/board.ts';

/** Runs an action, showing its error or a success note. */
export function useAction() {
  const [note, setNote] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const run = async (f: () => Promise<string | void>) => {
    setBusy(true);
    setNote(undefined);
    try {
      const text = await f();
      setNote({ ok: true, text: text ?? t('saved') });
    } catch (err) {
      setNote({ ok: false, text: (err as Error).message });
    } finally {
      setBusy(false);
    }
  };
  const view = note && (
    <p class={note.ok ? 'note ok' : 'error'} role="status" data-testid="admin-note">
      {note.text}
    </p>
  );
  return { run, busy, view };
}

/** A form whose submission runs `action` through `run` (busy state, error or success note). */
export function ActionForm({
  run,
  action,
  children,
}: {
  run: (f: () => Promise<string | void>) => Promise<void>;
  action: () => Promise<string | void>;
  children: ComponentChildren;
}) {
  return (
    <form
      class="grid-form"
      onSubmit={(e) => {
        e.preventDefault();
        void run(action);
      }}
    >
      {children}
    </form>
  );
}

/** A text input bound to a field of a record. */
export function Field<T extends Record<string, string>>({
  label,
  name,
  value,
  set,
  type = 'text',
}: {
  label: string;
  name: keyof T & string;
  value: T;
  set: (v: T) => void;
  type?: 'text' | 'password';
}) {
  const onInput = (e: Event) => set({ ...value, [name]: (e.target as HTMLInputElement).value });
  return (
    <label>
      {label}
      {type === 'password' ? (
        <input name={name} type="password" value={value[name]} onInput={onInput} />
      ) : (
        <input name={name} type="text" value={value[name]} onInput={onInput} />
      )}
    </label>
  );
}

/** A select bound to a field of a record, its options named for people (the value is the code the API takes). */
export function SelectField<T extends Record<string, string>>({
  label,
  name,
  value,
  set,
  options,
}: {
  label: string;
  name: keyof T & string;
  value: T;
  set: (v: T) => void;
  options: { value: string; label: string }[];
}) {
  return (
    <label>
      {label}
      <select name={name} value={value[name]} onChange={(e) => set({ ...value, [name]: (e.target as HTMLSelectElement).value })}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}

/** The enterprise a screen works on (all the caller may see). */
export function EnterprisePicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const [rows, setRows] = useState<BoardRow[]>([]);
  useEffect(() => void api<{ enterprises: BoardRow[] }>('GET', '/api/v1/enterprises').then((r) => setRows(r.enterprises)), []);
  return (
    <label>
      {t('enterprise')}
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)} data-testid="pick-enterprise">
        <option value="">—</option>
        {rows.map((r) => (
          <option key={r.id} value={r.id}>
            {r.name} ({r.id})
          </option>
        ))}
      </select>
    </label>
  );
}
