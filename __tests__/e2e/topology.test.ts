/**
 * The operations topology (issue 5, item 1; issue 8, points 4 and 6): docker-compose.yml
 * is validated by Debian's docker-compose, deploy/haproxy.cfg by haproxy -c, and the same
 * topology is run from local processes by scripts/topology.mjs (redis-server with AOF and
 * a password, two nodes each with a private metrics port, HAProxy with that very config
 * file): a reader through the balancer receives what editors post through it, a node
 * killed behind it costs the reader nothing, and /metrics is not reachable through the
 * balancer under any spelling while each node serves it on its own port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Cluster } from 'ioredis';
import { feedKeys } from '../../server/redis/keys';
import { keySlot } from '../../server/redis/key-slot';
import { FailoverScenario } from '../helpers/failover-scenario';
import { rawHttp, redisReplies, respCommand, tcpExchange } from '../helpers/raw-tcp';
import { range, SdkReader } from '../helpers/sdk-reader';

const ROOT = join(__dirname, '..', '..');
const PATH = `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/sbin:/sbin`;
const COMPOSE_TOKENS = 'desk:compose-check-token-0123456789abcdef';
const COMPOSE_REDIS_PASSWORD = 'compose-check-redis-password-0123456789';
const COMPOSE_ENV = { LIVELINE_EDITOR_TOKENS: COMPOSE_TOKENS, REDIS_PASSWORD: COMPOSE_REDIS_PASSWORD };
/** Prometheus text exposition, as prom-client writes it. */
const PROMETHEUS_TEXT = /^# (?:HELP|TYPE) liveline_/m;

/** The environment without any LIVELINE_*, REDIS_* or compose settings of the person running the tests. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, PATH };
  for (const key of Object.keys(env)) {
    if (['LIVELINE_', 'COMPOSE_', 'LB_', 'REDIS_', 'REDISCLI_'].some((prefix) => key.startsWith(prefix))) delete env[key];
  }
  return { ...env, ...extra };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): { status: number | null; out: string } {
  const r = spawnSync(command, args, { cwd: ROOT, env, encoding: 'utf8', timeout: 30_000 });
  if (r.error) throw r.error;
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** `docker-compose config` output split into its services: name → the lines of its block. */
function composeServices(yaml: string): Map<string, string> {
  const services = new Map<string, string>();
  const lines = yaml.split('\n');
  let i = lines.indexOf('services:') + 1;
  expect(i).toBeGreaterThan(0);
  let current: string | null = null;
  for (; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line !== '' && !line.startsWith(' ')) break; // the next top-level key
    const name = /^ {2}([\w.-]+):$/.exec(line)?.[1];
    if (name !== undefined) {
      current = name;
      services.set(name, '');
    } else if (current !== null) {
      services.set(current, `${services.get(current) ?? ''}${line}\n`);
    }
  }
  return services;
}

/** The items of a service's `key:` list (e.g. expose, command), unquoted. */
function listOf(block: string, key: string): string[] {
  const m = new RegExp(`^ {4}${key}:\\n((?: {4}- .*\\n)+)`, 'm').exec(block);
  return (m?.[1] ?? '').split('\n').filter(Boolean).map((l) => l.replace(/^ {4}- /, '').replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1'));
}

/** `KEY: value` of a service's environment block, unquoted. */
function environmentOf(block: string): Record<string, string> {
  const env: Record<string, string> = {};
  const m = /^ {4}environment:\n((?: {6}.*\n)+)/m.exec(block);
  for (const line of (m?.[1] ?? '').split('\n')) {
    const kv = /^ {6}([A-Z0-9_]+): (.*)$/.exec(line);
    if (kv?.[1] !== undefined && kv[2] !== undefined) env[kv[1]] = kv[2].replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
  }
  return env;
}

describe('docker-compose.yml, Dockerfile and deploy/haproxy.cfg', () => {
  let services: Map<string, string>;
  let yaml: string;

  beforeAll(() => {
    const r = run('docker-compose', ['-f', 'docker-compose.yml', 'config'], cleanEnv(COMPOSE_ENV));
    if (r.status !== 0) throw new Error(`docker-compose config refused the file:\n${r.out}`);
    yaml = r.out;
    services = composeServices(yaml);
  });

  const nodeServices = (): string[] =>
    [...services].filter(([, block]) => /^ {4}build:\n(?: {6}.*\n)* {6}dockerfile: Dockerfile\n/m.test(block)).map(([name]) => name);

  it('docker-compose config accepts it, and refuses to run without LIVELINE_EDITOR_TOKENS or REDIS_PASSWORD', () => {
    expect([...services.keys()].sort()).toEqual(['lb', 'liveline-1', 'liveline-2', 'redis']);
    const noTokens = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], cleanEnv({ REDIS_PASSWORD: COMPOSE_REDIS_PASSWORD }));
    expect(noTokens.status).not.toBe(0);
    expect(noTokens.out).toMatch(/Missing mandatory value.*set LIVELINE_EDITOR_TOKENS to name:token pairs, tokens of 32\+ characters/s);
    for (const password of [undefined, '']) {
      const noPassword = run('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], cleanEnv({ LIVELINE_EDITOR_TOKENS: COMPOSE_TOKENS, ...(password === undefined ? {} : { REDIS_PASSWORD: password }) }));
      expect(noPassword.status).not.toBe(0);
      expect(noPassword.out).toMatch(/Missing mandatory value.*set REDIS_PASSWORD to the password Redis requires/s);
    }
  });

  it('declares Redis with AOF (fsync always) on a named volume, requiring REDIS_PASSWORD, with a healthcheck that authenticates', () => {
    const redis = services.get('redis') ?? '';
    expect(redis).toMatch(/image: redis:7/);
    expect(redis).toMatch(/- --appendonly\n\s+- "?yes"?\n/);
    expect(redis).toMatch(/- --appendfsync\n\s+- always\n/);
    expect(redis).toMatch(/volumes:\n\s+- redis-data:\/data/);
    expect(yaml).toMatch(/^volumes:\n {2}redis-data:/m);
    const command = listOf(redis, 'command');
    expect(command[0]).toBe('redis-server');
    expect(command[command.indexOf('--requirepass') + 1]).toBe(COMPOSE_REDIS_PASSWORD);
    // redis-cli takes the password from REDISCLI_AUTH, and exits 0 even on NOAUTH: only PONG counts.
    expect(environmentOf(redis)).toEqual({ REDISCLI_AUTH: COMPOSE_REDIS_PASSWORD });
    expect(redis).toMatch(/healthcheck:\n(?:.*\n)*?\s+- redis-cli ping \| grep -qx PONG\n/);
    expect(redis).not.toMatch(/^ {4}ports:/m);
  });

  it('declares at least two Liveline nodes built from the Dockerfile, on that Redis, unpublished', () => {
    const nodes = nodeServices();
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    for (const name of nodes) {
      const block = services.get(name) ?? '';
      const env = environmentOf(block);
      expect(env).toMatchObject({
        REDIS_URL: 'redis://redis:6379',
        REDIS_PASSWORD: COMPOSE_REDIS_PASSWORD,
        HOST: '0.0.0.0',
        LIVELINE_EDITOR_TOKENS: COMPOSE_TOKENS,
        LIVELINE_TRUST_PROXY: '1',
        LIVELINE_METRICS_PORT: '9464',
      });
      // The password reaches the node on its own, never inside the URL.
      const url = new URL(env.REDIS_URL ?? '');
      expect({ username: url.username, password: url.password }).toEqual({ username: '', password: '' });
      // The metrics port is on the compose network for Prometheus, not published.
      expect(listOf(block, 'expose').sort()).toEqual(['8080', '9464']);
      expect(block).toMatch(/depends_on:\n\s+redis:\n\s+condition: service_healthy/);
      expect(block).toMatch(/healthcheck:\n(?:.*\n)*?.*\/readyz/);
      // Docker's stop timeout must exceed the node's ~10 s drain window.
      const grace = /stop_grace_period: (\d+)s/.exec(block)?.[1];
      expect(Number(grace)).toBeGreaterThan(10);
      expect(block).not.toMatch(/^ {4}ports:/m); // only the balancer is reachable (X-Forwarded-For is trusted)
    }
  });

  it('declares the HAProxy balancer on 8080 with deploy/haproxy.cfg pointing at every node', () => {
    const lb = services.get('lb') ?? '';
    expect(lb).toMatch(/image: haproxy:2\.6/);
    expect(lb).toMatch(/- \S*\/deploy\/haproxy\.cfg:\/usr\/local\/etc\/haproxy\/haproxy\.cfg:ro/);
    expect(lb).toMatch(/ports:\n\s+- published: 8080\n\s+target: 8080/);
    // The one published port in the whole file: no metrics (9464), monitor (8404) or Redis port.
    expect([...services].filter(([, block]) => /^ {4}ports:/m.test(block)).map(([name]) => name)).toEqual(['lb']);
    expect([...yaml.matchAll(/^\s+(?:- )?(published|target): (.+)$/gm)].map((m) => `${m[1]}=${m[2]}`)).toEqual(['published=8080', 'target=8080']);
    expect(lb).toMatch(/healthcheck:/);
    const env = environmentOf(lb);
    expect(env.LB_BIND).toBe(':8080');
    const targets = Object.entries(env).filter(([k]) => /^LIVELINE_NODE\d+$/.test(k)).map(([, v]) => v);
    expect(targets.sort()).toEqual(nodeServices().map((n) => `${n}:8080`).sort());
    // …and the config has exactly one server line per node variable.
    const cfg = readFileSync(join(ROOT, 'deploy', 'haproxy.cfg'), 'utf8');
    expect(cfg.match(/^\s*server\s+\S+\s+"\$\{LIVELINE_NODE\d+\}"/gm)).toHaveLength(targets.length);
  });

  it('haproxy -c accepts deploy/haproxy.cfg with the compose values and with loopback values, and names a missing variable', () => {
    const lbEnv = environmentOf(services.get('lb') ?? '');
    const compose = run('haproxy', ['-c', '-f', 'deploy/haproxy.cfg'], cleanEnv(lbEnv));
    expect({ status: compose.status, out: compose.out }).toMatchObject({ status: 0, out: expect.stringContaining('Configuration file is valid') });
    const local = run('haproxy', ['-c', '-f', 'deploy/haproxy.cfg'], cleanEnv({
      LB_BIND: '127.0.0.1:18080', LB_MONITOR_BIND: '127.0.0.1:18404', LIVELINE_NODE1: '127.0.0.1:18081', LIVELINE_NODE2: '127.0.0.1:18082',
    }));
    expect({ status: local.status, out: local.out }).toMatchObject({ status: 0, out: expect.stringContaining('Configuration file is valid') });
    expect(local.out).not.toMatch(/WARNING/);
    const unset = run('haproxy', ['-c', '-f', 'deploy/haproxy.cfg'], cleanEnv({ LB_BIND: ':8080', LB_MONITOR_BIND: ':8404', LIVELINE_NODE1: '127.0.0.1:1' }));
    expect(unset.status).not.toBe(0);
    expect(unset.out).toContain('LIVELINE_NODE2 is not set');
  });

  it('the Dockerfile builds from files that exist, and runs the server as a non-root user with a /readyz healthcheck', () => {
    const dockerfile = readFileSync(join(ROOT, 'Dockerfile'), 'utf8');
    const stages = dockerfile.match(/^FROM node:20-bookworm-slim AS \w+$/gm) ?? [];
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const ignored = readFileSync(join(ROOT, '.dockerignore'), 'utf8').split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.startsWith('#'));
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of (m[1] as string).split(/\s+/)) {
        expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
        expect(ignored).not.toContain(src.replace(/\/$/, ''));
      }
    }
    // Every script `npm run build` runs is in the build stage (a new build step must reach the image too).
    const build = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts.build ?? '';
    const copied = [...dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)].flatMap((m) => (m[1] as string).split(/\s+/));
    for (const script of build.match(/scripts\/[\w.-]+\.mjs/g) ?? []) expect({ script, copied: copied.includes(script) }).toEqual({ script, copied: true });
    const runtime = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^ENV [^]*HOST=0\.0\.0\.0/m);
    expect(runtime).toMatch(/^HEALTHCHECK [^]*\/readyz/m);
    expect(runtime).toMatch(/^STOPSIGNAL SIGTERM$/m);
    expect(runtime).toMatch(/^CMD \["node", "--optimize-for-size", "dist\/server\/index\.js"\]$/m);
    expect(runtime).not.toMatch(/^RUN npm (ci|install)(?!.*--omit=dev)/m);
  });
});

interface TopologyInfo {
  lb: string;
  monitor: string;
  nodes: Array<{ url: string; metricsUrl: string; pid: number }>;
  redis: { url: string; pid: number; password: string };
  haproxy: { pid: number };
  token: string;
}

/** scripts/topology.mjs as a child process. */
class Topology {
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess, readonly info: TopologyInfo, private readonly stderr: { text: string }) {
    this.exited = new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve(child.exitCode);
      else child.once('exit', (code) => resolve(code));
    });
  }

  static async start(args: string[]): Promise<Topology> {
    const child = spawn(process.execPath, ['scripts/topology.mjs', ...args], { cwd: ROOT, env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    const stderr = { text: '' };
    child.stderr?.on('data', (d: Buffer) => {
      // All of it (the nodes' start-up banners included), up to a bound no run comes near.
      if (stderr.text.length < 20_000_000) stderr.text = `${stderr.text}${d.toString()}`;
    });
    let stdout = '';
    const info = await new Promise<TopologyInfo>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`topology did not start within 30 s:\n${stderr.text.slice(-20_000)}`)), 30_000);
      child.stdout?.on('data', (d: Buffer) => {
        stdout += d.toString();
        const line = stdout.split('\n').find((l) => l.startsWith('{') && stdout.includes(`${l}\n`));
        if (line === undefined) return;
        clearTimeout(timer);
        resolve(JSON.parse(line) as TopologyInfo);
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`topology exited with ${code} before it was ready:\n${stderr.text.slice(-20_000)}`));
      });
    });
    return new Topology(child, info, stderr);
  }

  get log(): string {
    return this.stderr.text;
  }

  get pids(): number[] {
    return [...this.info.nodes.map((n) => n.pid), this.info.redis.pid, this.info.haproxy.pid];
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** SIGTERM and the exit code; if it hangs past `timeoutMs`, SIGKILL it and every process it reported. */
  async stop(timeoutMs = 40_000): Promise<number | null> {
    if (this.running) this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    const result = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (result !== 'timeout') return result;
    for (const pid of [this.child.pid ?? -1, ...this.pids]) {
      if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
    throw new Error(`topology did not stop within ${timeoutMs} ms:\n${this.stderr.text.slice(-20_000)}`);
  }
}

/**
 * POST through a topology's balancer as its editor; 5xx and network errors are retried with
 * the same Idempotency-Key (up to 20 attempts, backing off), as README tells editors to.
 */
async function postAsEditor(
  topology: { readonly lb: string; readonly token: string }, path: string, body: unknown, idempotencyKey?: string,
): Promise<{ status: number; body: Record<string, unknown>; attempts: number }> {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(`${topology.lb}${path}`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${topology.token}`,
          'Content-Type': 'application/json',
          ...(idempotencyKey !== undefined ? { 'Idempotency-Key': idempotencyKey } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5000),
      });
      const json = (await res.json()) as Record<string, unknown>;
      if (res.status < 500 || attempt >= 20) return { status: res.status, body: json, attempts: attempt };
    } catch (err) {
      if (attempt >= 20) throw err;
    }
    await new Promise<void>((resolve) => setTimeout(resolve, 25 * attempt)); // the editor's retry backoff
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
    throw err;
  }
}

/** Polls `check` every 50 ms until it holds, or fails after `timeoutMs` naming `what`. */
async function eventually(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => setTimeout(resolve, 50));
  }
}

/** The balancer's stats CSV: one field getter per "proxy/server" row (e.g. "liveline_nodes/BACKEND"). */
async function lbStats(monitor: string): Promise<Map<string, (column: string) => string>> {
  const csv = await (await fetch(`${monitor}/stats;csv`)).text();
  const [header, ...rows] = csv.split('\n').filter(Boolean);
  const cols = (header ?? '').replace(/^# /, '').split(',');
  const out = new Map<string, (column: string) => string>();
  for (const row of rows) {
    const f = row.split(',');
    const get = (c: string): string => f[cols.indexOf(c)] ?? '';
    out.set(`${get('pxname')}/${get('svname')}`, get);
  }
  return out;
}

/** Per backend server: HAProxy's status and current sessions. */
async function lbServers(monitor: string): Promise<Record<string, { status: string; scur: number }>> {
  const out: Record<string, { status: string; scur: number }> = {};
  for (const [key, get] of await lbStats(monitor)) {
    if (get('pxname') === 'liveline_nodes' && get('svname') !== 'BACKEND') out[key.slice(key.indexOf('/') + 1)] = { status: get('status'), scur: Number(get('scur')) };
  }
  return out;
}

/** Requests the balancer has handed to any node so far (the backend's cumulative sessions; health checks are not counted). */
async function forwardedToNodes(monitor: string): Promise<number> {
  const backend = (await lbStats(monitor)).get('liveline_nodes/BACKEND');
  if (backend === undefined) throw new Error('no liveline_nodes backend in the balancer stats');
  return Number(backend('stot'));
}

describe('scripts/topology.mjs: the compose topology from local processes', () => {
  jest.setTimeout(60_000);
  let topology: Topology | null = null;
  const readers: SdkReader[] = [];

  beforeAll(async () => {
    topology = await Topology.start(['--nodes', '2', '--port', '0']);
  });

  afterAll(async () => {
    for (const r of readers.splice(0)) r.close();
    if (topology?.running) await topology.stop();
  });

  const info = (): TopologyInfo => (topology as Topology).info;
  const topologyLog = (): string => (topology as Topology).log;

  const post = (path: string, body: unknown, idempotencyKey?: string) => postAsEditor(info(), path, body, idempotencyKey);

  it('prints where everything runs; the balancer sees both nodes UP and answers /readyz', async () => {
    const { lb, nodes, redis, haproxy, token } = info();
    expect(nodes).toHaveLength(2);
    expect(token.length).toBeGreaterThanOrEqual(32);
    for (const url of [lb, ...nodes.map((n) => n.url)]) expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(new URL(redis.url).hostname).toBe('127.0.0.1');
    for (const pid of [haproxy.pid, redis.pid, ...nodes.map((n) => n.pid)]) expect(alive(pid)).toBe(true);
    expect((await fetch(`${lb}/readyz`)).status).toBe(200);
    expect(await lbServers(info().monitor)).toEqual({ node1: { status: 'UP', scur: 0 }, node2: { status: 'UP', scur: 0 } });
    expect((await fetch(`${info().monitor}/healthz`)).status).toBe(200);
    // Through the balancer, the served SDK is there too.
    expect((await fetch(`${lb}/sdk/liveline.js`)).status).toBe(200);
    expect((await fetch(`${lb}/metrics`)).status).toBe(404); // scraped from each node, not public
  });

  it('each node serves Prometheus text on its own metrics port (the one its banner prints), not on its public port', async () => {
    const { lb, nodes } = info();
    const publicPorts = new Set([lb, ...nodes.map((n) => n.url)].map((u) => new URL(u).port));
    for (const [i, node] of nodes.entries()) {
      const metrics = new URL(node.metricsUrl);
      expect({ host: metrics.hostname, path: metrics.pathname }).toEqual({ host: '127.0.0.1', path: '/metrics' });
      expect(publicPorts.has(metrics.port)).toBe(false);
      expect(topologyLog()).toContain(`[node${i + 1}] Metrics (Prometheus; keep this port private): ${node.metricsUrl}\n`);
      const res = await fetch(node.metricsUrl);
      const text = await res.text();
      expect({ node: node.url, status: res.status, type: res.headers.get('content-type') }).toEqual({ node: node.url, status: 200, type: expect.stringMatching(/^text\/plain/) });
      expect(text).toMatch(PROMETHEUS_TEXT);
      expect(text).toMatch(/^liveline_ready 1$/m);
      // The node's public port (what the balancer forwards to) has no /metrics.
      const direct = await fetch(`${node.url}/metrics`);
      expect(direct.status).toBe(404);
      expect(await direct.text()).not.toMatch(PROMETHEUS_TEXT);
    }
  });

  it('/metrics is not reachable through the reference balancer under any spelling', async () => {
    const { lb, monitor } = info();
    const port = Number(new URL(lb).port);
    const host = `127.0.0.1:${port}`;
    // Request lines and headers exactly as written: nothing normalises the path on the way.
    const get = (target: string): string => `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`;
    const requests: Array<[name: string, request: string]> = [
      ...[
        '/metrics', '/METRICS', '/Metrics', '/metrics/', '//metrics', '///metrics', '/./metrics', '/x/../metrics', '/v1/../metrics',
        '/METRICS/../metrics', '/%6detrics', '/%6Detrics', '/%6D%65%74%72%69%63%73', '/metrics%2f', '/metrics;x', '/metrics?x=1',
        '/metrics#x', '/%2fmetrics', '/%2Fmetrics', '/%5cmetrics', '/%252fmetrics', '/%256detrics', '/%2e/metrics',
        '/x/%2e%2e/metrics', '/..%2fmetrics', '/..;/metrics', '/metrics%00', '/metrics%zz', '/metrics.', '/metrics%20',
        '\\metrics', 'metrics',
      ].map((target): [string, string] => [target, get(target)]),
      ['absolute-form', `GET http://${host}/metrics HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
      ['absolute-form, another host', 'GET http://liveline-1:9464/metrics HTTP/1.1\r\nHost: liveline-1:9464\r\nConnection: close\r\n\r\n'],
      ['HTTP/1.0 without Host', 'GET /metrics HTTP/1.0\r\n\r\n'],
      ['lowercase method', `get /metrics HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
      ['HEAD', `HEAD /metrics HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`],
    ];
    const answers: Array<{ request: string; status: number | null; prometheus: boolean; forwarded: number }> = [];
    for (const [request, bytes] of requests) {
      const before = await forwardedToNodes(monitor);
      const res = await rawHttp(port, bytes);
      answers.push({ request, status: res.status, prometheus: PROMETHEUS_TEXT.test(res.raw), forwarded: (await forwardedToNodes(monitor)) - before });
    }
    // Each is an HTTP answer from the balancer itself (not one reached a node), 4xx, and
    // never Prometheus text.
    const refused = (a: (typeof answers)[number]): boolean => a.status !== null && a.status >= 400 && a.status < 500 && !a.prometheus && a.forwarded === 0;
    expect(answers.filter((a) => !refused(a))).toEqual([]);
    expect(answers).toHaveLength(requests.length);

    // The rules are the second layer: a node's public port, asked the same things
    // directly, has no metrics under any of these spellings either.
    const node = new URL((info().nodes[0] as { url: string }).url);
    const direct: Array<{ request: string; status: number | null; prometheus: boolean }> = [];
    for (const [request, bytes] of requests) {
      const res = await rawHttp(Number(node.port), bytes.replaceAll(host, node.host));
      direct.push({ request, status: res.status, prometheus: PROMETHEUS_TEXT.test(res.raw) });
    }
    expect(direct.filter((a) => a.status === null || a.status < 400 || a.prometheus)).toEqual([]);

    // On a kept-alive connection, a second request for /metrics after a forwarded one is
    // refused the same way.
    const pipelined = `GET /readyz HTTP/1.1\r\nHost: ${host}\r\n\r\n${get('/%6detrics')}`;
    const both = (await tcpExchange(port, pipelined, () => false)).toString('latin1');
    // (The second status line follows the first body directly.)
    expect([...both.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => m[1])).toEqual(['200', '404']);
    expect(both).not.toMatch(PROMETHEUS_TEXT);
  });

  it('Redis in the topology requires its password; the nodes authenticate and are ready', async () => {
    const { lb, nodes, redis } = info();
    const port = Number(new URL(redis.url).port);
    expect(new URL(redis.url).password).toBe(''); // the URL the nodes get carries no secret
    expect(redis.password.length).toBeGreaterThanOrEqual(32);
    // What anyone on the network would try, as `redis-cli -p PORT ping` would send it.
    expect(await redisReplies(port, 'PING\r\n', 1)).toEqual([expect.stringMatching(/^-NOAUTH /)]);
    expect(await redisReplies(port, respCommand('SET', 'll:forged', 'x'), 1)).toEqual([expect.stringMatching(/^-NOAUTH /)]);
    expect(await redisReplies(port, `${respCommand('AUTH', 'not-the-password')}${respCommand('PING')}`, 2)).toEqual([
      expect.stringMatching(/^-WRONGPASS /),
      expect.stringMatching(/^-NOAUTH /),
    ]);
    expect(await redisReplies(port, `${respCommand('AUTH', redis.password)}${respCommand('PING')}`, 2)).toEqual(['+OK', '+PONG']);
    // redis-server has it from a config file: its command line does not show it.
    const cmdline = `/proc/${redis.pid}/cmdline`;
    if (existsSync(cmdline)) expect(readFileSync(cmdline, 'utf8')).not.toContain(redis.password);
    // Every node is ready (so it authenticated), through the balancer too.
    for (const node of nodes) expect((await fetch(`${node.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${lb}/readyz`)).status).toBe(200);
    const log = topologyLog();
    for (const [i] of nodes.entries()) expect(log).toContain(`[node${i + 1}] Mode: production (Redis store and pub/sub at ${redis.url}`);
    expect(log).not.toContain('without a password');
    expect(log).not.toContain(redis.password);
  });

  it('readers through the balancer get every entry; kill -9 of the node holding them costs them nothing', async () => {
    expect((await post('/v1/feeds', { id: 'topology', title: 'Topology' })).status).toBe(201);
    for (let i = 0; i < 4; i++) readers.push(new SdkReader(info().lb, 'topology'));
    await Promise.all(readers.map((r) => r.live()));
    const drops = readers.map(() => 0);
    readers.forEach((r, i) =>
      r.client.on('state', (state) => {
        if (state !== 'connected') drops[i] = (drops[i] ?? 0) + 1;
      }),
    );

    const posted: string[] = [];
    const publish = async (from: number, to: number): Promise<void> => {
      for (let i = from; i <= to; i++) {
        const headline = `entry ${i}`;
        const res = await post('/v1/feeds/topology/entries', { headline }, `topology-${i}`);
        expect({ headline, status: res.status }).toEqual({ headline, status: 201 });
        posted.push(headline);
      }
    };
    const received = (r: SdkReader): unknown[] => r.events.map((e) => (e.type === 'entry.created' ? e.data.headline : e.type));

    // Before: 10 entries reach every reader.
    await publish(1, 10);
    for (const r of readers) await r.until(() => r.events.length >= 10, '10 events');

    // The node holding the most readers' WebSockets (leastconn spreads them) is killed.
    const before = await lbServers(info().monitor);
    const [victimName, victimStats] = Object.entries(before).sort(([, a], [, b]) => b.scur - a.scur)[0] as [string, { scur: number }];
    expect(victimStats.scur).toBeGreaterThanOrEqual(1);
    const victim = info().nodes[Number(victimName.replace('node', '')) - 1] as { pid: number };
    process.kill(victim.pid, 'SIGKILL');

    // During: editors keep posting through the balancer while it notices.
    await publish(11, 20);
    await eventually('the balancer to mark the killed node DOWN', async () => (await lbServers(info().monitor))[victimName]?.status.startsWith('DOWN') === true);
    expect(alive(victim.pid)).toBe(false);
    // Every reader that was on the killed node lost its socket and is back, through the balancer.
    await eventually('the dropped readers to reconnect', () => readers.every((r) => r.client.state === 'connected' && r.sub.state === 'live'));
    expect(drops.filter((d) => d > 0).length).toBe(victimStats.scur);

    // After: more entries, now all on the surviving node.
    await publish(21, 30);
    for (const r of readers) await r.until(() => r.events.length >= 30, '30 events');
    // A moment for any duplicate to show up: the next event through the same path.
    await publish(31, 31);
    for (const r of readers) await r.until(() => r.events.length >= 31, '31 events');

    expect(posted).toEqual(range(31).map((i) => `entry ${i}`));
    for (const r of readers) {
      expect(r.seqs).toEqual(range(31));
      expect(received(r)).toEqual(posted);
      expect(r.resets).toEqual([]);
    }
    const after = await lbServers(info().monitor);
    expect(after[victimName]?.scur).toBe(0);
    expect(Object.values(after).reduce((n, s) => n + s.scur, 0)).toBe(readers.length);
  });

  it('SIGTERM stops every process it started and exits 0', async () => {
    for (const r of readers.splice(0)) r.close();
    const t = topology as Topology;
    const pids = t.pids;
    expect(await t.stop()).toBe(0);
    for (const pid of pids) expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false });
    expect(t.log).toContain('[topology] stopped');
  });
});

describe('docker-compose.cluster.yml: Liveline on a Redis Cluster (3 masters, 1 replica each)', () => {
  let services: Map<string, string>;
  let yaml: string;

  beforeAll(() => {
    const r = run('docker-compose', ['-f', 'docker-compose.cluster.yml', 'config'], cleanEnv(COMPOSE_ENV));
    if (r.status !== 0) throw new Error(`docker-compose config refused docker-compose.cluster.yml:\n${r.out}`);
    yaml = r.out;
    services = composeServices(yaml);
  });

  const redisServices = (): string[] => [...services].filter(([, block]) => /^ {4}image: redis:7/m.test(block) && listOf(block, 'command')[0] === 'redis-server').map(([name]) => name);
  const nodeServices = (): string[] =>
    [...services].filter(([, block]) => /^ {4}build:\n(?: {6}.*\n)* {6}dockerfile: Dockerfile\n/m.test(block)).map(([name]) => name);

  it('docker-compose config accepts it, and refuses to run without LIVELINE_EDITOR_TOKENS or REDIS_PASSWORD', () => {
    expect(services.has('cluster-init')).toBe(true);
    expect(services.has('lb')).toBe(true);
    for (const env of [{ REDIS_PASSWORD: COMPOSE_REDIS_PASSWORD }, { LIVELINE_EDITOR_TOKENS: COMPOSE_TOKENS }] as Array<Record<string, string>>) {
      const r = run('docker-compose', ['-f', 'docker-compose.cluster.yml', 'config', '-q'], cleanEnv(env));
      expect(r.status).not.toBe(0);
      expect(r.out).toMatch(/Missing mandatory value/);
    }
  });

  it('declares 6 cluster-enabled Redis nodes with AOF and the password, each on its own volume, unpublished', () => {
    const redis = redisServices();
    expect(redis).toHaveLength(6);
    const volumes = new Set<string>();
    for (const name of redis) {
      const block = services.get(name) ?? '';
      const command = listOf(block, 'command');
      const arg = (flag: string): string | undefined => command[command.indexOf(flag) + 1];
      expect({ name, enabled: arg('--cluster-enabled'), aof: arg('--appendonly'), fsync: arg('--appendfsync') }).toEqual({ name, enabled: 'yes', aof: 'yes', fsync: 'always' });
      expect(arg('--requirepass')).toBe(COMPOSE_REDIS_PASSWORD);
      expect(arg('--masterauth')).toBe(COMPOSE_REDIS_PASSWORD);
      expect(environmentOf(block)).toEqual({ REDISCLI_AUTH: COMPOSE_REDIS_PASSWORD });
      expect(block).toMatch(/healthcheck:\n(?:.*\n)*?\s+- redis-cli ping \| grep -qx PONG\n/);
      expect(block).toMatch(/stop_grace_period: \d+s/);
      const volume = /volumes:\n\s+- ([\w-]+):\/data/.exec(block)?.[1];
      expect(volume).toBeDefined();
      volumes.add(volume as string);
      expect(yaml).toMatch(new RegExp(`^volumes:\\n(?: {2}.*\\n)*? {2}${volume}:`, 'm'));
    }
    expect(volumes.size).toBe(6);
    // Only the balancer publishes a port: no Redis (6379, 16379), metrics or monitor port.
    expect([...services].filter(([, block]) => /^ {4}ports:/m.test(block)).map(([name]) => name)).toEqual(['lb']);
    expect([...yaml.matchAll(/^\s+(?:- )?(published|target): (.+)$/gm)].map((m) => `${m[1]}=${m[2]}`)).toEqual(['published=8080', 'target=8080']);
  });

  it('a one-shot cluster-init forms the cluster with one replica per master (3 + 3) once every node is healthy', () => {
    const init = services.get('cluster-init') ?? '';
    expect(init).toMatch(/image: redis:7/);
    expect(init).toMatch(/restart: "?no"?\n/);
    // The shell script is one folded item, which docker-compose config wraps over lines.
    const script = (/^ {4}command:\n([^]*?)^ {4}\w/m.exec(init)?.[1] ?? '').replace(/\s+/g, ' ');
    expect(script).toMatch(/redis-cli --cluster create .* --cluster-replicas 1 --cluster-yes/);
    // Every Redis node is named in the create command, and nothing else: 6 nodes, 1 replica each → 3 masters.
    const created = /--cluster create (.*?) --cluster-replicas/.exec(script)?.[1] ?? '';
    const named = [...created.matchAll(/\b(redis-\d+)\b/g)].map((m) => m[1]);
    expect(named.sort()).toEqual(redisServices().sort());
    expect(named.length / (1 + 1)).toBe(3);
    expect(environmentOf(init)).toEqual({ REDISCLI_AUTH: COMPOSE_REDIS_PASSWORD });
    for (const name of redisServices()) expect(init).toMatch(new RegExp(`depends_on:\\n(?:.*\\n)*? {6}${name}:\\n {8}condition: service_healthy`));
  });

  it('declares at least two Liveline nodes on the cluster (REDIS_CLUSTER_NODES, no REDIS_URL), unpublished, behind the same balancer', () => {
    const nodes = nodeServices();
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    for (const name of nodes) {
      const block = services.get(name) ?? '';
      const env = environmentOf(block);
      expect(env).toMatchObject({
        REDIS_PASSWORD: COMPOSE_REDIS_PASSWORD,
        HOST: '0.0.0.0',
        LIVELINE_EDITOR_TOKENS: COMPOSE_TOKENS,
        LIVELINE_TRUST_PROXY: '1',
        LIVELINE_METRICS_PORT: '9464',
      });
      expect(env.REDIS_URL).toBeUndefined();
      expect((env.REDIS_CLUSTER_NODES ?? '').split(',').sort()).toEqual(redisServices().map((n) => `${n}:6379`).sort());
      expect(listOf(block, 'expose').sort()).toEqual(['8080', '9464']);
      expect(block).toMatch(/depends_on:\n\s+cluster-init:\n\s+condition: service_completed_successfully/);
      expect(block).toMatch(/healthcheck:\n(?:.*\n)*?.*\/readyz/);
      expect(Number(/stop_grace_period: (\d+)s/.exec(block)?.[1])).toBeGreaterThan(10);
      expect(block).not.toMatch(/^ {4}ports:/m);
    }
    const lb = services.get('lb') ?? '';
    expect(lb).toMatch(/image: haproxy:2\.6/);
    expect(lb).toMatch(/- \S*\/deploy\/haproxy\.cfg:\/usr\/local\/etc\/haproxy\/haproxy\.cfg:ro/);
    const targets = Object.entries(environmentOf(lb)).filter(([k]) => /^LIVELINE_NODE\d+$/.test(k)).map(([, v]) => v);
    expect(targets.sort()).toEqual(nodes.map((n) => `${n}:8080`).sort());
    for (const name of nodes) expect(lb).toMatch(new RegExp(`depends_on:\\n(?:.*\\n)*? {6}${name}:\\n {8}condition: service_healthy`));
  });
});

interface ClusterTopologyInfo {
  lb: string;
  monitor: string;
  nodes: Array<{ url: string; metricsUrl: string; pid: number }>;
  cluster: { masters: number; replicas: number; seeds: string[]; nodes: Array<{ url: string; pid: number }>; password: string };
  haproxy: { pid: number };
  token: string;
}

describe('scripts/topology.mjs --cluster 3x1: the same topology on a local Redis Cluster', () => {
  jest.setTimeout(40_000);
  let topology: Topology | null = null;
  const readers: SdkReader[] = [];

  const info = (): ClusterTopologyInfo => (topology as Topology).info as unknown as ClusterTopologyInfo;
  const allPids = (): number[] => (topology === null ? [] : [...info().nodes.map((n) => n.pid), ...info().cluster.nodes.map((n) => n.pid), info().haproxy.pid]);

  beforeAll(async () => {
    topology = await Topology.start(['--cluster', '3x1', '--nodes', '2', '--port', '0']);
  });

  afterAll(async () => {
    for (const r of readers.splice(0)) r.close();
    if (topology?.running) {
      const pids = allPids();
      try {
        await topology.stop();
      } finally {
        // Whatever stop() left behind (it failed, or a process ignored SIGTERM) is ended by its PID.
        for (const pid of pids) if (alive(pid)) process.kill(pid, 'SIGKILL');
      }
    }
  });

  const post = (path: string, body: unknown, idempotencyKey?: string) => postAsEditor(info(), path, body, idempotencyKey);

  it('prints the balancer, the nodes, the token and the cluster seeds (6 nodes formed: 3 masters, 3 replicas)', async () => {
    const { lb, nodes, cluster, haproxy, token } = info();
    expect(nodes).toHaveLength(2);
    expect(token.length).toBeGreaterThanOrEqual(32);
    expect({ masters: cluster.masters, replicas: cluster.replicas }).toEqual({ masters: 3, replicas: 1 });
    expect(cluster.seeds).toHaveLength(6);
    for (const seed of cluster.seeds) expect(seed).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(cluster.seeds).not.toContain('127.0.0.1:6379');
    for (const pid of [haproxy.pid, ...nodes.map((n) => n.pid), ...cluster.nodes.map((n) => n.pid)]) expect(alive(pid)).toBe(true);
    expect(await lbServers(info().monitor)).toEqual({ node1: { status: 'UP', scur: 0 }, node2: { status: 'UP', scur: 0 } });
    expect((await fetch(`${lb}/readyz`)).status).toBe(200);
    // The cluster's own view: every slot served, 3 masters each with one replica.
    const port = Number(cluster.seeds[0]?.split(':')[1]);
    const cli = (...args: string[]): string => run('redis-cli', ['-p', String(port), ...args], cleanEnv({ REDISCLI_AUTH: cluster.password })).out;
    expect(cli('cluster', 'info')).toMatch(/cluster_state:ok\r?\n(?:.*\n)*cluster_slots_assigned:16384/);
    const roles = cli('cluster', 'nodes').split('\n').filter((l) => /^[0-9a-f]{40} /.test(l)).map((l) => ((l.split(' ')[2] ?? '').split(',').includes('master') ? 'master' : 'replica'));
    expect(roles.sort()).toEqual(['master', 'master', 'master', 'replica', 'replica', 'replica']);
    const log = (topology as Topology).log;
    for (const [i] of nodes.entries()) expect(log).toContain(`[node${i + 1}] Mode: production (Redis Cluster store and sharded pub/sub, seed nodes ${cluster.seeds.join(',')}`);
    expect(log).not.toContain('without a password');
  });

  it('entries posted through the balancer reach readers on both nodes, in order', async () => {
    expect((await post('/v1/feeds', { id: 'cluster-topology', title: 'Cluster topology' })).status).toBe(201);
    for (const url of [...info().nodes.map((n) => n.url), info().lb]) readers.push(new SdkReader(url, 'cluster-topology'));
    await Promise.all(readers.map((r) => r.live()));
    const posted: string[] = [];
    for (let i = 1; i <= 20; i++) {
      const headline = `cluster entry ${i}`;
      const res = await post('/v1/feeds/cluster-topology/entries', { headline }, `cluster-topology-${i}`);
      expect({ headline, status: res.status }).toEqual({ headline, status: 201 });
      posted.push(headline);
    }
    for (const r of readers) await r.until(() => r.events.length >= 20, '20 events');
    for (const r of readers) {
      expect(r.seqs).toEqual(range(20));
      expect(r.events.map((e) => (e.type === 'entry.created' ? e.data.headline : e.type))).toEqual(posted);
      expect(r.resets).toEqual([]);
    }
  });

  it('kill -9 of a master: its replica takes over, the node comes back as a replica, and nothing acknowledged is lost', async () => {
    const { lb, nodes, cluster, token } = info();
    const feeds = ['topology-failover-1', 'topology-failover-2'];
    const client = new Cluster(cluster.seeds.map((seed) => ({ host: '127.0.0.1', port: Number(seed.split(':')[1]) })), { redisOptions: { password: cluster.password } });
    let scenario: FailoverScenario | null = null;
    try {
      scenario = await FailoverScenario.start({ balancerUrl: lb, nodeUrls: nodes.map((n) => n.url), token, feeds, editors: 2, entryDeadlineMs: 40_000 });
      await scenario.waitForAcknowledged(30, 10_000);
      const slot = keySlot(feedKeys('ll', feeds[0] as string).channel);
      await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
      const victim = client.slots[slot]?.[0] ?? '';
      const victimPid = cluster.nodes.find((n) => n.url === `redis://${victim}`)?.pid;
      expect(victimPid).toBeGreaterThan(0);
      const killedAt = Date.now();
      process.kill(victimPid as number, 'SIGKILL');
      // Bounded poll: the cluster's own view, until another master owns the slot.
      for (const deadline = Date.now() + 25_000; client.slots[slot]?.[0] === victim;) {
        if (Date.now() > deadline) throw new Error(`slot ${slot} still on ${victim} 25 s after the kill`);
        await new Promise((resolve) => setTimeout(resolve, 200));
        await new Promise<void>((resolve) => client.refreshSlotsCache(() => resolve()));
      }
      const promotedAt = Date.now();
      await scenario.waitForAcknowledgedAfter(promotedAt, 1, 40_000);
      const recoveredAt = Date.now();
      await scenario.waitForAcknowledgedAfter(recoveredAt, 40, 15_000);
      await scenario.stopPosting();
      process.stdout.write(`topology --cluster 3x1 failover: master ${victim} killed, another took over after ${promotedAt - killedAt} ms, `
        + `writes back ${recoveredAt - killedAt} ms after the kill; ${scenario.summary()}\n`);
      await scenario.verify(15_000);
      expect(scenario.outages().failedAttempts).toBeGreaterThan(0);
      // …as 503s from the nodes for the shard's writes only: the nodes stayed ready (the balancer never ran out of them).
      expect([...new Set((scenario as FailoverScenario).stats.flatMap((st) => [...st.failures.keys()]))]).toEqual(['503 unavailable']);
      expect((topology as Topology).log).toContain('restarting it in 10000 ms (restart: unless-stopped)');
    } finally {
      await scenario?.close();
      client.disconnect();
    }
  }, 90_000);

  it('refuses a cluster shape redis-cli cannot form, before starting anything', () => {
    for (const shape of ['2x1', '3', 'x1', '3x']) {
      const r = run(process.execPath, ['scripts/topology.mjs', '--cluster', shape, '--port', '0'], cleanEnv());
      expect({ shape, status: r.status }).toEqual({ shape, status: 2 });
      expect(r.out).toContain('--cluster needs MxR');
    }
  });

  it('SIGTERM stops every process it started (the 6 Redis nodes too) and exits 0', async () => {
    for (const r of readers.splice(0)) r.close();
    const pids = allPids();
    expect(pids).toHaveLength(2 + 6 + 1);
    expect(await (topology as Topology).stop(30_000)).toBe(0);
    for (const pid of pids) expect({ pid, alive: alive(pid) }).toEqual({ pid, alive: false });
    expect((topology as Topology).log).toContain('[topology] stopped');
  });
});
