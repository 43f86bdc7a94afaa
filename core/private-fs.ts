/**
 * Files at rest: the platform's data (PGlite, the admin token, the local Redis
 * and InfluxDB it starts) is readable by its own user only — directories 0700,
 * files 0600. PGlite's initdb writes its files 0666 whatever the umask
 * (Emscripten's file system sets modes with chmod), so the trees are
 * tightened after the fact, not only created right.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** Owner only: rwx for directories, rw for files. */
export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/** Creates `dir` (and missing parents) 0700, and sets an existing `dir` to 0700. */
export function ensurePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if ((lstatSync(dir).mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(dir, PRIVATE_DIR_MODE);
}

export interface LoosePath {
  path: string;
  kind: 'dir' | 'file';
  /** Permission bits found, e.g. 0o666. */
  mode: number;
}

/** Every directory not 0700 and file not 0600 under `root` (itself included); symbolic links and sockets are not followed or counted. */
export function loosePaths(root: string): LoosePath[] {
  const found: LoosePath[] = [];
  const visit = (path: string): void => {
    const st = lstatSync(path);
    const mode = st.mode & 0o777;
    if (st.isDirectory()) {
      if (mode !== PRIVATE_DIR_MODE) found.push({ path, kind: 'dir', mode });
      for (const name of readdirSync(path)) visit(join(path, name));
    } else if (st.isFile() && mode !== PRIVATE_FILE_MODE) {
      found.push({ path, kind: 'file', mode });
    }
  };
  visit(root);
  return found;
}

/** Sets every directory under `root` (itself included) to 0700 and every file to 0600; returns how many it changed. */
export function makeTreePrivate(root: string): number {
  let changed = 0;
  const visit = (path: string): void => {
    const st = lstatSync(path);
    const mode = st.mode & 0o777;
    if (st.isDirectory()) {
      // before reading it: a directory without r/x for its owner could not be walked
      if (mode !== PRIVATE_DIR_MODE) {
        chmodSync(path, PRIVATE_DIR_MODE);
        changed++;
      }
      for (const name of readdirSync(path)) visit(join(path, name));
    } else if (st.isFile() && mode !== PRIVATE_FILE_MODE) {
      chmodSync(path, PRIVATE_FILE_MODE);
      changed++;
    }
  };
  visit(root);
  return changed;
}
