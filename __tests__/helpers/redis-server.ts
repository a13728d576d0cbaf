import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Redis from 'ioredis';

export interface RedisServerOptions {
  /** appendonly yes + appendfsync always: every acknowledged write survives a restart. */
  readonly aof?: boolean;
  /** requirepass: clients must authenticate with this password. */
  readonly password?: string;
  /** More redis-server arguments, e.g. `--cluster-enabled yes` (see redis-cluster.ts). */
  readonly extraArgs?: readonly string[];
  /**
   * A config file's text, written to `redis.conf` in the server's directory before its first
   * start and given to redis-server as its config file (a restart keeps what the server
   * rewrote there). A Sentinel needs one: it records what it learns in it.
   */
  readonly config?: string;
  /** The port to listen on. Default: a free one (freePort). */
  readonly port?: number;
  /** The log line that says the server accepts connections. Default `Ready to accept connections` (a Sentinel logs `Sentinel ID is`). */
  readonly readyLine?: string;
}

/** A free loopback port (the kernel's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const address = srv.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** Whether nothing listens on `port` on loopback right now. */
function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * A free port for a Redis Cluster node, whose cluster bus listens 10 000 higher: both below
 * the kernel's ephemeral range (32768+), so no outgoing connection of a test running beside
 * takes either between this pick and the node's bind, and the bus port stays ≤ 65535.
 */
export async function freeClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = 10_000 + Math.floor(Math.random() * 12_768);
    if ((await bindable(port)) && (await bindable(port + 10_000))) return port;
  }
  throw new Error('no free port pair (port, port + 10000) below 32768');
}

/**
 * A throwaway redis-server on a free loopback port with its own data directory, which a
 * test may stop, kill and start again on the same port. Never the shared one on 6379.
 */
export class TestRedis {
  private child: ChildProcess | null = null;
  private log = '';
  readonly dir = mkdtempSync(join(tmpdir(), 'liveline-redis-'));

  private constructor(readonly port: number, private readonly options: RedisServerOptions) {}

  static async start(options: RedisServerOptions = {}): Promise<TestRedis> {
    const redis = new TestRedis(options.port ?? (await freePort()), options);
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** The running process's id, or null while stopped. */
  get pid(): number | null {
    return this.child?.pid ?? null;
  }

  /** What the server logged (stdout) since its first start, for a test's failure message. */
  output(): string {
    return this.log;
  }

  /** Whether the process runs (started and not exited). */
  get running(): boolean {
    return this.child !== null;
  }

  /** Starts (again) on the same port and directory; resolves once it answers PING. */
  async start(): Promise<void> {
    if (this.child !== null) throw new Error('already running');
    const aof = this.options.aof === true;
    const configFile = join(this.dir, 'redis.conf');
    if (this.options.config !== undefined && !existsSync(configFile)) writeFileSync(configFile, this.options.config);
    const child = spawn('redis-server', [
      ...(this.options.config !== undefined ? [configFile] : []),
      '--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '',
      '--appendonly', aof ? 'yes' : 'no', '--appendfsync', 'always', '--daemonize', 'no', '--loglevel', 'notice',
      ...(this.options.password !== undefined ? ['--requirepass', this.options.password, '--masterauth', this.options.password] : []),
      ...(this.options.extraArgs ?? []),
    ], { stdio: ['ignore', 'pipe', 'inherit'] });
    this.child = child;
    child.stdout?.on('data', (d: Buffer) => {
      this.log += d.toString();
    });
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    await this.waitForReady(child);
  }

  /** SIGTERM: a clean shutdown (flushes the AOF). */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
  }

  /** SIGKILL: the process dies at once. */
  async kill(): Promise<void> {
    await this.signal('SIGKILL');
  }

  /** SIGSTOP: the server hangs with its connections open (a network partition, a stuck host). */
  pause(): void {
    this.child?.kill('SIGSTOP');
  }

  resume(): void {
    this.child?.kill('SIGCONT');
  }

  /** A client for the test itself (close it after use). */
  client(): Redis {
    return new Redis(this.url, { lazyConnect: false, maxRetriesPerRequest: 1, ...(this.options.password !== undefined ? { password: this.options.password } : {}) });
  }

  /** Stops the server and removes its data directory. */
  async destroy(): Promise<void> {
    this.resume();
    await this.kill();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async signal(sig: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (child === null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(sig);
    await exited;
  }

  /** Resolves when the server logs that it accepts connections (an event, not a poll). */
  private waitForReady(child: ChildProcess): Promise<void> {
    return new Promise((resolve, reject) => {
      let log = '';
      const timer = setTimeout(() => reject(new Error(`redis-server did not start on ${this.port}: ${log}`)), 10_000);
      child.stdout?.on('data', (d: Buffer) => {
        log += d.toString();
        if (log.includes(this.options.readyLine ?? 'Ready to accept connections')) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`redis-server exited (${code}): ${log}`));
      });
    });
  }
}
