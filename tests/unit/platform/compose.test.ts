/**
 * docker-compose.yml runs the whole platform and ships no secrets: every part
 * (`PARTS`) runs in some service, every secret is a required `${VAR:?…}` read
 * from the `.env` the README's command generates, and what each platform
 * service gets is a configuration the platform accepts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configInputFromEnv, parseConfig, PARTS } from '../../../core/config.ts';
import { adminTokenWeakness } from '../../../core/secrets.ts';

const ROOT = resolve(import.meta.dirname, '../../..');
const read = (file: string) => readFileSync(join(ROOT, file), 'utf8');

interface Service {
  image?: string;
  build?: string | { context?: string; dockerfile?: string };
  command?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, unknown>;
  profiles?: string[];
}

const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const services = Object.entries(compose.services);

/** A service's environment as name → raw (uninterpolated) value, from either compose form. */
function environment(s: Service): Record<string, string> {
  const env = s.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((e) => [e.split('=')[0]!, e.slice(e.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

/** The service builds this repository's image and runs its default command (`main.ts`): it runs platform parts. */
function runsPlatform(s: Service): boolean {
  const context = typeof s.build === 'string' ? s.build : s.build?.context;
  if (context === undefined || resolve(ROOT, context) !== ROOT) return false;
  const command = Array.isArray(s.command) ? s.command : (s.command ?? 'main.ts').split(/\s+/);
  return command.some((arg) => arg === 'main.ts' || arg === './main.ts');
}

function partsOf(s: Service): string[] {
  const parts = environment(s).PARTS;
  return parts ? parts.split(',').map((p) => p.trim()) : [...PARTS];
}

const SECRET_NAME = /(TOKEN|PASSWORD|SECRET|_KEY)$/;
/** `${NAME:?message}` or `${NAME?message}`: compose refuses to start when NAME is unset (`:?` also when empty). */
const REQUIRED = /^\$\{([A-Z_][A-Z0-9_]*):?\?[^}]*\}$/;
const INTERPOLATION = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}/g;

/** Compose's interpolation (`${V}`, `${V:-d}`, `${V-d}`, `${V:?e}`, `${V?e}`, `${V:+a}`, `$$`), enough for this file. */
function interpolate(value: string, env: Record<string, string>): string {
  return value
    .replace(INTERPOLATION, (_m, name: string, op: string | undefined, arg: string | undefined) => {
      const v = env[name];
      // with a colon, an empty value counts as unset
      const set = v !== undefined && (v !== '' || !op?.startsWith(':'));
      const kind = op?.slice(-1);
      if (kind === '?' && !set) throw new Error(`required variable ${name} is missing: ${arg ?? ''}`);
      if (kind === '-' && !set) return arg ?? '';
      if (kind === '+') return set ? (arg ?? '') : '';
      return v ?? '';
    })
    .replace(/\$\$/g, '$');
}

function dotenv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.trim();
  }
  return env;
}

describe('docker-compose.yml runs the whole platform', () => {
  it.each([...PARTS])('part %s runs in at least one service', (part) => {
    const running = services.filter(([, s]) => runsPlatform(s) && partsOf(s).includes(part)).map(([name]) => name);
    expect(running, `no service runs the ${part} part`).not.toHaveLength(0);
  });

  it('every platform service names parts that exist', () => {
    for (const [name, s] of services.filter(([, s]) => runsPlatform(s))) {
      for (const part of partsOf(s)) expect(PARTS, `${name}: PARTS=${part}`).toContain(part);
    }
  });

  it('the rules worker runs outside the demo profile (a deployment raises alerts without --profile demo)', () => {
    const rules = services.filter(([, s]) => runsPlatform(s) && partsOf(s).includes('rules'));
    expect(rules.some(([, s]) => !s.profiles || s.profiles.length === 0)).toBe(true);
  });

  it('every service has an image or a build context with a Dockerfile', () => {
    for (const [name, s] of services) {
      if (s.image) continue;
      const context = typeof s.build === 'string' ? s.build : s.build?.context;
      expect(context, `${name} has neither image nor build`).toBeDefined();
      const dockerfile = typeof s.build === 'object' ? (s.build.dockerfile ?? 'Dockerfile') : 'Dockerfile';
      expect(existsSync(join(ROOT, context!, dockerfile)), `${name}: ${join(context!, dockerfile)}`).toBe(true);
    }
  });

  it('depends_on names services that exist', () => {
    for (const [name, s] of services) {
      const deps = Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {});
      for (const d of deps) expect(compose.services, `${name} depends on ${d}`).toHaveProperty([d]);
    }
  });
});

describe('docker-compose.yml ships no secrets', () => {
  it('every secret variable of every service is a required ${VAR:?…} with no default', () => {
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(environment(s))) {
        if (SECRET_NAME.test(key)) expect(value, `${name}.${key}`).toMatch(REQUIRED);
      }
    }
  });

  it('a password inside a URL is a required ${VAR:?…} too', () => {
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(environment(s))) {
        const userinfo = /^[a-z][a-z0-9+.-]*:\/\/[^/@:]*:(.*)@/i.exec(value);
        if (userinfo) expect(userinfo[1], `${name}.${key}`).toMatch(REQUIRED);
      }
    }
  });

  it('no secret-like variable is interpolated with a default anywhere in the file', () => {
    for (const m of read('docker-compose.yml').matchAll(INTERPOLATION)) {
      if (SECRET_NAME.test(m[1]!)) expect(m[2], m[0]).toMatch(/^:?\?$/);
    }
  });

  it('.env.example leaves every secret empty, and .gitignore keeps .env out of git', () => {
    const example = dotenv(read('.env.example'));
    const used = new Set([...read('docker-compose.yml').matchAll(INTERPOLATION)].map((m) => m[1]!));
    for (const name of used) expect(example, `.env.example lists ${name}`).toHaveProperty([name]);
    for (const [name, value] of Object.entries(example)) if (SECRET_NAME.test(name)) expect(value, name).toBe('');
    expect(read('.gitignore').split('\n')).toContain('.env');
  });

  it('without .env a platform service does not get its environment (compose stops naming the variable)', () => {
    const [, gateway] = services.find(([, s]) => runsPlatform(s))!;
    expect(() => Object.values(environment(gateway)).map((v) => interpolate(v, {}))).toThrow(/ADMIN_TOKEN|POSTGRES_PASSWORD/);
  });
});

describe("the README's command makes a .env compose runs with", () => {
  let dir: string;
  let env: Record<string, string>;
  beforeAll(() => {
    const command = read('README.md')
      .split('\n')
      .find((l) => l.startsWith("printf 'ADMIN_TOKEN="));
    expect(command, 'README gives the command that generates .env').toBeDefined();
    dir = mkdtempSync(join(tmpdir(), 'nss-compose-'));
    execFileSync('sh', ['-c', command!], { cwd: dir });
    env = dotenv(readFileSync(join(dir, '.env'), 'utf8'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the generated ADMIN_TOKEN passes the strength check and the generated password is set', () => {
    expect(adminTokenWeakness(env.ADMIN_TOKEN ?? '')).toBeUndefined();
    expect(env.POSTGRES_PASSWORD).toMatch(/^[0-9a-f]{48}$/);
  });

  it('every platform service gets a configuration the platform accepts, with the generated secrets', () => {
    const postgres = compose.services.postgres!;
    const password = interpolate(environment(postgres).POSTGRES_PASSWORD!, env);
    for (const [name, s] of services.filter(([, s]) => runsPlatform(s))) {
      const serviceEnv = Object.fromEntries(Object.entries(environment(s)).map(([k, v]) => [k, interpolate(v, env)]));
      const config = parseConfig(configInputFromEnv(serviceEnv));
      expect(config.http.adminToken, name).toBe(env.ADMIN_TOKEN);
      expect(new URL(config.databaseUrl!).password, `${name}: DATABASE_URL carries the password postgres is given`).toBe(password);
    }
  });
});
