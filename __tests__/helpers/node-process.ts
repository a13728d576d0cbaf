import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..');

/** One Liveline node as a separate process: the built server, as an operator runs it. */
export class NodeProcess {
  private constructor(readonly child: ChildProcess, readonly url: string, readonly output: () => string) {}

  /** Starts `node dist/server/index.js` on a free port with `env`; resolves once it listens. */
  static async start(env: Record<string, string>): Promise<NodeProcess> {
    const child = spawn(process.execPath, ['dist/server/index.js'], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', PORT: '0', LIVELINE_METRICS_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const collect = (d: Buffer): void => {
      out += d.toString();
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`node did not start within 15 s:\n${out}`)), 15_000);
      const onData = (): void => {
        const m = /Liveline is running at (http:\/\/\S+)/.exec(out);
        if (m?.[1] === undefined) return;
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        resolve(m[1]);
      };
      child.stdout?.on('data', onData);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`node exited with ${code}:\n${out}`));
      });
    });
    return new NodeProcess(child, url, () => out);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Sends `signal` and resolves with the exit code (null when killed by a signal). */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    if (!this.running) return this.child.exitCode;
    const exited = new Promise<number | null>((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.kill(signal);
    return exited;
  }
}
