/**
 * What the admin screens share: an action runner with its busy state and
 * error or success note, the form it submits, a text field bound to a
 * record, and the enterprise picker of the gateways and overrides screens.
 */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { paren, t } from '../../i18n.ts';
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
  required,
}: {
  label: string;
  name: keyof T & string;
  value: T;
  set: (v: T) => void;
  /** A first option of value '' ("请选择", "全部") is the empty choice; `required` refuses it. */
  options: { value: string; label: string }[];
  required?: boolean;
}) {
  return (
    <label>
      {label}
      <select name={name} required={required} value={value[name]} onChange={(e) => set({ ...value, [name]: (e.target as HTMLSelectElement).value })}>
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
            {r.name}
            {paren(r.id)}
          </option>
        ))}
      </select>
    </label>
  );
}

/**
 * A button whose action is asked for first, in the page (not `window.confirm`): the question says what will happen,
 * and the action runs only on 确认执行; 取消 takes the question away.
 */
export function ConfirmButton({
  label,
  question,
  onConfirm,
  disabled,
  testid,
}: {
  label: string;
  question: string;
  onConfirm: () => void;
  disabled?: boolean;
  testid?: string;
}) {
  const [asking, setAsking] = useState(false);
  if (!asking)
    return (
      <button type="button" disabled={disabled} onClick={() => setAsking(true)} data-testid={testid}>
        {label}
      </button>
    );
  return (
    <span class="confirm-step" role="group" aria-label={t('admConfirmQuestion')} data-testid={testid && `${testid}-confirm`}>
      <span role="alert">{question}</span>{' '}
      <button
        type="button"
        class="danger"
        disabled={disabled}
        onClick={() => {
          setAsking(false);
          onConfirm();
        }}
        data-testid="confirm-yes"
      >
        {t('admConfirmDo')}
      </button>{' '}
      <button type="button" onClick={() => setAsking(false)} data-testid="confirm-no">
        {t('cancel')}
      </button>
    </span>
  );
}

/** Copies `text` (navigator.clipboard; where that is refused, selects the element `selectId` for Ctrl+C) and says so. */
export function CopyButton({ text, selectId, label, testid }: { text: string; selectId: string; label: string; testid?: string }) {
  const [said, setSaid] = useState<string | undefined>();
  useEffect(() => setSaid(undefined), [text]);
  const selectIt = () => {
    const el = document.getElementById(selectId);
    const sel = window.getSelection();
    if (!el || !sel) return;
    const range = document.createRange();
    range.selectNodeContents(el);
    sel.removeAllRanges();
    sel.addRange(range);
  };
  return (
    <>
      <button
        type="button"
        data-testid={testid}
        onClick={() => {
          // no clipboard (a page not served over HTTPS or localhost): select it for Ctrl+C
          const clipboard = navigator.clipboard as Clipboard | undefined;
          if (clipboard === undefined) {
            selectIt();
            setSaid(t('admCopyManual'));
            return;
          }
          clipboard.writeText(text).then(
            () => setSaid(t('admCopied')),
            () => {
              selectIt();
              setSaid(t('admCopyManual'));
            },
          );
        }}
      >
        {label}
      </button>{' '}
      <span role="status" class="muted" data-testid={testid && `${testid}-said`}>
        {said}
      </span>
    </>
  );
}

/** Every authority by name, for the selects (`GET /api/v1/authorities`). */
export function useAuthorities(): { id: string; name: string; level: string; parentId: string | null }[] {
  const [rows, setRows] = useState<{ id: string; name: string; level: string; parentId: string | null }[]>([]);
  useEffect(
    () =>
      void api<{ authorities: typeof rows }>('GET', '/api/v1/authorities').then(
        (r) => setRows(r.authorities),
        () => undefined,
      ),
    [],
  );
  return rows;
}

/** A wide table that scrolls sideways on a phone, reachable by keyboard (axe: scrollable-region-focusable). */
export function TableScroll({ label, children }: { label: string; children: ComponentChildren }) {
  return (
    <div class="table-scroll" tabIndex={0} role="region" aria-label={label}>
      {children}
    </div>
  );
}
