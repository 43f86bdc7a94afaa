/** Admin · import: the enterprise list from a CSV file, with the problems of a refused file. */
import { useState } from 'preact/hooks';
import { api } from '../../api.ts';
import { t } from '../../i18n.ts';
import { useAction } from './shared.tsx';

export function Import() {
  const [csv, setCsv] = useState('');
  const [problems, setProblems] = useState<string[]>([]);
  const { run, busy, view } = useAction();
  return (
    <>
      <p class="muted">{t('importHelp')}</p>
      <input
        type="file"
        accept=".csv,text/csv"
        aria-label={t('importList')}
        onChange={(e) => {
          const file = (e.target as HTMLInputElement).files?.[0];
          if (file) void file.text().then(setCsv);
        }}
      />
      <textarea aria-label="CSV" rows={8} value={csv} onInput={(e) => setCsv((e.target as HTMLTextAreaElement).value)} data-testid="import-csv" />
      <button
        class="primary"
        disabled={busy || csv.trim() === ''}
        data-testid="import"
        onClick={() =>
          void run(async () => {
            setProblems([]);
            try {
              const r = await api<{ created: number; updated: number }>('POST', '/api/v1/enterprises/import', csv, 'text/csv');
              return `${t('saved')}: +${r.created} / ${r.updated}`;
            } catch (err) {
              const errors = (err as { body?: { errors?: string[] } }).body?.errors;
              if (errors) setProblems(errors);
              throw err;
            }
          })
        }
      >
        {t('importList')}
      </button>
      {view}
      {problems.length > 0 && (
        <ul class="plain" data-testid="import-problems">
          {problems.map((p) => (
            <li key={p} class="error">
              {p}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}
