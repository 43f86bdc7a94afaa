/**
 * Admin · the enterprise's point list in and out: a CSV (UTF-8 or GBK) or XLSX file checked first
 * (`POST …/points/import?dryRun=true`, nothing stored) and then imported (`POST …/points/import`); a refused
 * list shows every problem as row, column and problem. Export links for CSV in UTF-8, CSV in GBK (what
 * Excel opens directly on a Chinese Windows) and XLSX (`GET …/points/export`).
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../../api.ts';
import { both, colon, lang, t } from '../../i18n.ts';
import { localMessage } from './registry-model.ts';
import { useAction } from './shared.tsx';

interface Problem {
  row: number;
  /** The column's code (or the header as written); null: the file as a whole. */
  column: string | null;
  zh: string;
  en: string;
}

interface ImportResult {
  created: number;
  updated: number;
  stopped: number;
  resumed: number;
}

const XLSX = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

export function PointImport({
  base,
  onImported,
  columns,
}: {
  base: string;
  onImported: () => Promise<void>;
  /** The sheet's columns (the vocabulary's): a problem's column shown by its Chinese header in Chinese. */
  columns?: { code: string; zh: string }[] | undefined;
}) {
  const columnName = (code: string | null): string => (code === null ? '—' : lang.get() === 'en' ? code : (columns?.find((c) => c.code === code)?.zh ?? code));
  const [file, setFile] = useState<File | undefined>();
  const [problems, setProblems] = useState<Problem[]>([]);
  const { run, busy, view } = useAction();
  const send = (dryRun: boolean) =>
    run(async () => {
      if (!file) return;
      setProblems([]);
      const xlsx = /\.xlsx$/i.test(file.name);
      try {
        const r = await api<ImportResult>('POST', `${base}/points/import${dryRun ? '?dryRun=true' : ''}`, await file.arrayBuffer(), xlsx ? XLSX : 'text/csv');
        if (!dryRun) await onImported();
        const counts = `${t('importCreated')} ${r.created} · ${t('importUpdated')} ${r.updated} · ${t('importStopped')} ${r.stopped} · ${t('importResumed')} ${r.resumed}`;
        return `${dryRun ? t('checkPassed') : t('imported')}${colon()}${counts}`;
      } catch (err) {
        const errors = err instanceof ApiError ? (err.body.errors as Problem[] | undefined) : undefined;
        if (Array.isArray(errors)) setProblems(errors);
        throw new Error(localMessage((err as Error).message));
      }
    });
  const exportHref = (format: 'csv' | 'xlsx', encoding?: 'utf-8' | 'gbk') => `${base}/points/export?format=${format}${encoding ? `&encoding=${encoding}` : ''}`;
  return (
    <section data-testid="point-import">
      <h3>{t('pointImport')}</h3>
      <p class="muted">{t('pointImportHelp')}</p>
      <div class="import-bar">
        <input
          type="file"
          accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
          aria-label={t('pointImport')}
          onChange={(e) => {
            setFile((e.target as HTMLInputElement).files?.[0]);
            setProblems([]);
          }}
          data-testid="point-file"
        />
        <button type="button" disabled={busy || !file} onClick={() => void send(true)} data-testid="check-points">
          {t('checkFile')}
        </button>
        <button type="button" class="primary" disabled={busy || !file} onClick={() => void send(false)} data-testid="import-points">
          {t('importFile')}
        </button>
      </div>
      {view}
      {problems.length > 0 && (
        <table class="ranking" data-testid="point-problems">
          <thead>
            <tr>
              <th>{t('problemRow')}</th>
              <th>{t('problemColumn')}</th>
              <th>{t('problem')}</th>
            </tr>
          </thead>
          <tbody>
            {problems.map((p, i) => (
              <tr key={i}>
                <td>{p.row}</td>
                <td>{columnName(p.column)}</td>
                <td>{both(p)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <p class="import-bar">
        <a href={exportHref('csv', 'utf-8')} download data-testid="export-csv-utf8">
          {t('exportCsvUtf8')}
        </a>
        <a href={exportHref('csv', 'gbk')} download data-testid="export-csv-gbk">
          {t('exportCsvGbk')}
        </a>
        <a href={exportHref('xlsx')} download data-testid="export-xlsx">
          {t('exportXlsx')}
        </a>
      </p>
    </section>
  );
}
