/**
 * The one owner of the rule catalogue in force: the shipped default
 * (`packs/`), or `rules.catalogueFile` when set. Loaded once, then re-read
 * only when the file's mtime changed (`reload`, polled by the rules worker
 * between feed entries); an invalid file is refused and the current catalogue
 * stays (`CatalogueStore.replace`). Everything that asks about a rule — its
 * pattern, whether it is a serious violation — asks here, so every reader of
 * a process sees the same catalogue the worker evaluates.
 *
 * With `rules/override-store.ts`, the only module of alerts/rules/ with I/O
 * (the catalogue file).
 */
import { readFile, stat } from 'node:fs/promises';
import { AppError } from '../../core/errors.ts';
import { defaultCatalogue } from './packs/index.ts';
import { seriousRule } from './resolve.ts';
import { parseCatalogue, type Catalogue } from './schema.ts';
import { CatalogueStore, type CatalogueChanges } from './store.ts';

/** Reads and validates a catalogue file; throws `CONFIG_INVALID` naming every error. */
export async function loadCatalogueFile(file: string): Promise<Catalogue> {
  const parsed = parseCatalogue(await readFile(file, 'utf8'));
  if (!parsed.ok) throw new AppError('CONFIG_INVALID', `rule catalogue ${file} is invalid:\n  ${parsed.errors.join('\n  ')}`);
  return parsed.value;
}

/** What `reload` found: the file unchanged (or none configured), a new catalogue in force, or a refused one. */
export type CatalogueReload =
  | { outcome: 'unchanged' }
  | { outcome: 'replaced'; file: string; version: number; changes: CatalogueChanges }
  | { outcome: 'refused'; file: string; errors: string[] };

export class CatalogueSource {
  private store: CatalogueStore | undefined;
  private mtime = 0;
  private loading: Promise<Catalogue> | undefined;

  /** `file`: the catalogue file (`rules.catalogueFile`); without one, the shipped default. */
  constructor(readonly file?: string) {}

  /** Whether the catalogue was loaded (`load`). */
  get loaded(): boolean {
    return this.store !== undefined;
  }

  /** Loads the catalogue the first time (a file that does not validate throws); later calls return the one in force. */
  load(): Promise<Catalogue> {
    if (this.store) return Promise.resolve(this.store.current);
    this.loading ??= (async () => {
      const file = this.file;
      const catalogue = file ? await loadCatalogueFile(file) : defaultCatalogue();
      if (file) this.mtime = (await stat(file)).mtimeMs;
      this.store = new CatalogueStore(catalogue);
      return catalogue;
    })().finally(() => (this.loading = undefined));
    return this.loading;
  }

  /** The catalogue in force; throws before `load`. */
  current(): Catalogue {
    if (!this.store) throw new Error('rule catalogue not loaded');
    return this.store.current;
  }

  /** The pattern of a rule of the catalogue in force (undefined before `load` or for an unknown rule). */
  patternOf(ruleId: string): string | undefined {
    return this.store?.current.rules.find((r) => r.id === ruleId)?.pattern;
  }

  /** The name of a rule of the catalogue in force (undefined before `load` or for an unknown rule). */
  nameOf(ruleId: string): { zh: string; en: string } | undefined {
    return this.store?.current.rules.find((r) => r.id === ruleId)?.name;
  }

  /** Whether a rule of the catalogue in force is marked a serious violation (false before `load`). */
  seriousOf(ruleId: string): boolean {
    return this.store ? seriousRule(this.store.current)(ruleId) : false;
  }

  /**
   * The catalogue as configured now, read afresh: the file as it is (throws when it does not validate), else the
   * shipped default (read once). For readers outside the worker (the API), which show the file as it stands.
   */
  latest(): Promise<Catalogue> {
    return this.file ? loadCatalogueFile(this.file) : this.load();
  }

  /**
   * Re-reads the file when its mtime changed and swaps it in when it validates (`CatalogueStore.replace`); an
   * invalid one is refused and the current one stays. Throws when the file cannot be read.
   */
  async reload(): Promise<CatalogueReload> {
    const file = this.file;
    if (!file || !this.store) return { outcome: 'unchanged' };
    const m = (await stat(file)).mtimeMs;
    if (m === this.mtime) return { outcome: 'unchanged' };
    this.mtime = m;
    const r = this.store.replace(await readFile(file, 'utf8'));
    if (!r.ok) return { outcome: 'refused', file, errors: r.errors };
    return { outcome: 'replaced', file, version: r.version, changes: r.changes };
  }
}
