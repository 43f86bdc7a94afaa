/**
 * docker-compose.yml runs the whole platform and ships no secrets: every part
 * (`PARTS`) runs in some service, every secret is a required `${VAR:?…}` read
 * from the `.env` the README's command generates, and what each platform
 * service gets is a configuration the platform accepts. It runs the HA
 * topology of issue #19 (docs/scaling.md): two or more nodes with every part,
 * each its own broker id, the same rules partitions, Redis through three or more
 * Sentinels watching a master with a replica, and HAProxy — the only service
 * publishing ports — whose mounted deploy/haproxy.cfg balances MQTT and the API
 * over every node with health checks.
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
  ports?: (string | number | { target?: number; published?: string | number })[];
  volumes?: (string | { type?: string; source?: string; target?: string; read_only?: boolean })[];
  restart?: string;
  healthcheck?: unknown;
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

/** A command as its arguments (a string split on blanks, as compose does without quotes). */
function argv(s: Service): string[] {
  return Array.isArray(s.command) ? s.command : (s.command ?? '').split(/\s+/).filter(Boolean);
}

/** A service's bind mounts as container path → { file under the repository, read-only }. */
function binds(s: Service): Map<string, { file: string; readOnly: boolean }> {
  const out = new Map<string, { file: string; readOnly: boolean }>();
  for (const v of s.volumes ?? []) {
    const [source, target, mode] = typeof v === 'string' ? v.split(':') : [v.source, v.target, v.read_only ? 'ro' : 'rw'];
    // a bind mount names a path (./…, /…); a bare name is a named volume
    if (source && target && /^[./]/.test(source)) out.set(target, { file: resolve(ROOT, source), readOnly: mode === 'ro' });
  }
  return out;
}

/** The file of this repository mounted at `target` in the service, read from disk. */
function mounted(name: string, target: string): { file: string; text: string; readOnly: boolean } {
  const bind = binds(compose.services[name]!).get(target);
  expect(bind, `${name} mounts a file of the repository at ${target}`).toBeDefined();
  expect(bind!.file.startsWith(join(ROOT, 'deploy') + '/'), `${name}: ${target} comes from deploy/`).toBe(true);
  expect(existsSync(bind!.file), bind!.file).toBe(true);
  return { ...bind!, text: readFileSync(bind!.file, 'utf8') };
}

/** Published host ports of a service (short `"1883:1883"` / `"127.0.0.1:1883:1883"` and long forms). */
function published(s: Service): { host: number; container: number }[] {
  return (s.ports ?? []).map((p) => {
    if (typeof p === 'object') return { host: Number(p.published ?? p.target), container: Number(p.target) };
    const parts = String(p).split('/')[0]!.split(':');
    const container = Number(parts.at(-1));
    return { host: parts.length > 1 ? Number(parts.at(-2)) : container, container };
  });
}

interface HaproxySection {
  kind: string;
  name: string;
  /** Its keyword lines, each as words, comments dropped. */
  lines: string[][];
}

/** An HAProxy configuration as its sections (`global`, `defaults`, `frontend x`, `backend y`, …) and their lines. */
function parseHaproxy(text: string): HaproxySection[] {
  const sections: HaproxySection[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trimEnd();
    if (line.trim() === '') continue;
    const words = line.trim().split(/\s+/);
    if (!/^\s/.test(line)) sections.push({ kind: words[0]!, name: words[1] ?? '', lines: [] });
    else {
      expect(sections.length, `haproxy.cfg: "${line.trim()}" is outside any section`).toBeGreaterThan(0);
      sections.at(-1)!.lines.push(words);
    }
  }
  return sections;
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const directive = (s: HaproxySection, ...keyword: string[]): string[][] => s.lines.filter((words) => keyword.every((k, i) => words[i] === k));

/** The platform nodes: services that run this repository's main.ts, outside any profile. */
const nodes = services.filter(([, s]) => runsPlatform(s) && (s.profiles ?? []).length === 0);
const portOf = (s: Service, variable: string, fallback: number): number => Number(environment(s)[variable] ?? fallback);

describe('docker-compose.yml runs the HA topology (issue #19, docs/scaling.md)', () => {
  it('two or more platform nodes, each running every part', () => {
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    for (const [name, s] of nodes) expect(partsOf(s).sort(), name).toEqual([...PARTS].sort());
  });

  it('each node is its own broker (distinct MQTT_BROKER_ID) and every node counts the same rules partitions', () => {
    const ids = nodes.map(([name, s]) => {
      const id = environment(s).MQTT_BROKER_ID;
      expect(id, `${name}: MQTT_BROKER_ID`).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
      return id;
    });
    expect(new Set(ids).size, `broker ids ${ids.join(', ')}`).toBe(nodes.length);
    const partitions = nodes.map(([, s]) => environment(s).RULES_PARTITIONS);
    expect(partitions[0], 'RULES_PARTITIONS is set').toMatch(/^[1-9]\d*$/);
    expect(new Set(partitions), `RULES_PARTITIONS ${partitions.join(', ')}`).toEqual(new Set([partitions[0]]));
    // at least one partition per node, or a node runs no rules
    expect(Number(partitions[0])).toBeGreaterThanOrEqual(nodes.length);
  });

  it('the nodes reach Redis through three or more Sentinels, waiting for a replica before a PUBACK', () => {
    for (const [name, s] of nodes) {
      const env = environment(s);
      expect(env.REDIS_URL, `${name}: REDIS_URL beside REDIS_SENTINELS`).toBeUndefined();
      expect(env.REDIS_MASTER_NAME, `${name}: REDIS_MASTER_NAME`).toBeTruthy();
      expect(Number(env.REDIS_REPLICAS_TO_ACK), `${name}: REDIS_REPLICAS_TO_ACK`).toBeGreaterThanOrEqual(1);
      const hosts = (env.REDIS_SENTINELS ?? '').split(',').map((a) => a.trim().split(':'));
      expect(new Set(hosts.map(([h]) => h)).size, `${name}: REDIS_SENTINELS names 3 or more Sentinels`).toBeGreaterThanOrEqual(3);
      for (const [host, port] of hosts) {
        const sentinel = compose.services[host!];
        expect(sentinel, `${name}: REDIS_SENTINELS names ${host}, which is no service`).toBeDefined();
        expect(argv(sentinel!).join(' '), `${host} runs redis-sentinel`).toMatch(/--sentinel\b|\bredis-sentinel\b/);
        const conf = [...binds(sentinel!).values()].find((b) => b.file.endsWith('.conf'));
        expect(conf, `${host} mounts its sentinel configuration`).toBeDefined();
        expect(readFileSync(conf!.file, 'utf8'), `${host} listens on ${port}`).toMatch(new RegExp(`^port ${port}$`, 'm'));
      }
    }
  });

  it("the Sentinels watch a master that has a replica, under the nodes' master name, with a majority quorum", () => {
    const master = environment(nodes[0]![1]).REDIS_MASTER_NAME!;
    const sentinels = services.filter(([, s]) => argv(s).join(' ').includes('--sentinel'));
    expect(sentinels.length).toBeGreaterThanOrEqual(3);
    for (const [name, s] of sentinels) {
      const template = [...binds(s).entries()].find(([, b]) => b.file.endsWith('.conf'));
      expect(template, `${name} mounts a sentinel.conf`).toBeDefined();
      const [target, { file, readOnly }] = template!;
      expect(file, name).toBe(join(ROOT, 'deploy/sentinel.conf'));
      // Sentinel rewrites its configuration: it runs a writable copy, not the mounted template
      expect(readOnly, `${name}: the template is mounted read-only`).toBe(true);
      const command = argv(s).join(' ');
      const copying = new RegExp(`\\bcp ${escape(target)} ([^\\s;&|]+)`);
      expect(command, `${name} copies ${target} before starting`).toMatch(copying);
      const copy = copying.exec(command)![1]!;
      expect(command, `${name} runs the copy`).toMatch(new RegExp(`redis-server ${escape(copy)} --sentinel`));
      const monitor = readFileSync(file, 'utf8')
        .split('\n')
        .map((l) => l.trim().split(/\s+/))
        .find((w) => w[0] === 'sentinel' && w[1] === 'monitor');
      expect(monitor, 'sentinel monitor …').toBeDefined();
      const [, , group, host, port, quorum] = monitor!;
      expect(group, 'the master group is REDIS_MASTER_NAME').toBe(master);
      expect(Number(quorum)).toBeGreaterThan(sentinels.length / 2);
      expect(Number(quorum)).toBeLessThanOrEqual(sentinels.length);
      const primary = compose.services[host!];
      expect(primary, `the monitored master ${host} is a service`).toBeDefined();
      expect(argv(primary!), `${host} is started as a master`).not.toContain('--replicaof');
      const replicas = services.filter(([, r]) => {
        const args = argv(r);
        const i = args.indexOf('--replicaof');
        return i >= 0 && args[i + 1] === host && args[i + 2] === port;
      });
      expect(replicas.length, `a replica of ${host}:${port}`).toBeGreaterThanOrEqual(1);
      for (const [, redis] of [[host!, primary!] as const, ...replicas]) {
        const args = argv(redis).join(' ');
        expect(args).toContain('--appendonly yes');
        expect(args).toContain('--maxmemory-policy noeviction');
      }
    }
  });

  it('ports are published by haproxy only', () => {
    for (const [name, s] of services) if (name !== 'haproxy') expect(published(s), `${name} publishes ports`).toEqual([]);
    expect(
      published(compose.services.haproxy!)
        .map((p) => p.container)
        .sort((a, b) => a - b),
    ).toEqual([1883, 8080]);
  });

  describe('haproxy balances MQTT and the API over every node, with health checks (deploy/haproxy.cfg)', () => {
    const haproxy = compose.services.haproxy!;
    let config: ReturnType<typeof mounted>;
    let sections: HaproxySection[];
    beforeAll(() => {
      expect(haproxy, 'a haproxy service').toBeDefined();
      config = mounted('haproxy', '/usr/local/etc/haproxy/haproxy.cfg');
      sections = parseHaproxy(config.text);
    });

    /** The backend behind the frontend bound to `port`, and that frontend. */
    function behind(port: number): { frontend: HaproxySection; backend: HaproxySection } {
      const frontend = sections.find((s) => s.kind === 'frontend' && directive(s, 'bind').some((w) => w[1]!.split(':').at(-1) === String(port)));
      expect(frontend, `a frontend binds ${port}`).toBeDefined();
      const name = directive(frontend!, 'default_backend')[0]?.[1];
      const backend = sections.find((s) => s.kind === 'backend' && s.name === name);
      expect(backend, `frontend ${frontend!.name}'s default_backend ${name}`).toBeDefined();
      return { frontend: frontend!, backend: backend! };
    }

    /** The backend's servers as `host:port`, each checked. */
    function servers(backend: HaproxySection): string[] {
      return directive(backend, 'server').map((w) => {
        expect(w.slice(3), `server ${w[1]} is health-checked`).toContain('check');
        return w[2]!;
      });
    }

    it('the mounted file is the one the image runs, and the frontends are the published ports', () => {
      expect(haproxy.image).toMatch(/^haproxy:\d/);
      expect(config.readOnly).toBe(true);
      for (const { container } of published(haproxy)) behind(container);
    });

    it("HAProxy accepts the file (Debian's haproxy -c, the binary testkit/haproxy.ts runs)", () => {
      // the nodes' names resolve only on the compose network: the file starts them unresolved (init-addr none)
      const out = execFileSync('/usr/sbin/haproxy', ['-c', '-f', config.file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
      expect(out).toMatch(/Configuration file is valid/);
    });

    it('MQTT (1883): a TCP backend with every node, each checked', () => {
      const { frontend, backend } = behind(1883);
      expect(directive(frontend, 'mode', 'tcp')).toHaveLength(1);
      expect(directive(backend, 'mode', 'tcp')).toHaveLength(1);
      const expected = nodes.map(([name, s]) => `${name}:${portOf(s, 'MQTT_PORT', 1883)}`);
      expect(servers(backend).sort()).toEqual(expected.sort());
    });

    it('API (8080): an HTTP backend with every node, checked on GET /health', () => {
      const { frontend, backend } = behind(8080);
      expect(directive(frontend, 'mode', 'http')).toHaveLength(1);
      expect(directive(backend, 'mode', 'http')).toHaveLength(1);
      expect(directive(backend, 'option', 'httpchk', 'GET', '/health'), 'option httpchk GET /health').toHaveLength(1);
      const expected = nodes.map(([name, s]) => `${name}:${portOf(s, 'HTTP_PORT', 8080)}`);
      expect(servers(backend).sort()).toEqual(expected.sort());
    });

    it("the nodes believe haproxy's X-Forwarded-For (the sign-in limits count clients, not the balancer)", () => {
      const { frontend, backend } = behind(8080);
      expect([...directive(frontend, 'option', 'forwardfor'), ...directive(backend, 'option', 'forwardfor')]).not.toHaveLength(0);
      for (const [name, s] of nodes) expect(environment(s).HTTP_TRUST_PROXY, `${name}: HTTP_TRUST_PROXY`).toBeTruthy();
    });
  });

  it('every service has a restart policy or is the demo fleet, and every server a healthcheck', () => {
    for (const [name, s] of services) {
      if ((s.profiles ?? []).length > 0) continue;
      expect(s.restart, `${name}: restart`).toMatch(/^(always|unless-stopped|on-failure)/);
      expect(s.healthcheck, `${name}: healthcheck`).toBeDefined();
    }
  });
});
