/** The admin token the API accepts as bearer token (and as the admin's first password). */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PlatformConfig } from '../core/config.ts';
import { AppError } from '../core/errors.ts';
import { ensurePrivateDir, PRIVATE_FILE_MODE } from '../core/private-fs.ts';
import { adminTokenWeakness, generateAdminToken, weakAdminTokenMessage } from '../core/secrets.ts';

/**
 * The admin token: from config (checked by the schema), else the one stored under the data dir (refused when weak,
 * like a configured one), else a new one stored there.
 */
export function resolveAdminToken(config: PlatformConfig): string {
  if (config.http.adminToken) return config.http.adminToken;
  ensurePrivateDir(config.dataDir);
  const file = join(config.dataDir, 'admin-token');
  if (existsSync(file)) {
    // a file written by hand (or before the data dir was kept private) may be readable by others
    if ((statSync(file).mode & 0o777) !== PRIVATE_FILE_MODE) chmodSync(file, PRIVATE_FILE_MODE);
    const stored = readFileSync(file, 'utf8').trim();
    const weakness = adminTokenWeakness(stored);
    if (weakness)
      throw new AppError('CONFIG_INVALID', `${weakAdminTokenMessage(weakness, `the admin token in ${file}`)} (or delete the file: a new one is generated)`);
    return stored;
  }
  const token = generateAdminToken();
  writeFileSync(file, `${token}\n`, { mode: PRIVATE_FILE_MODE });
  return token;
}
