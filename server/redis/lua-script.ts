import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-client';

/** What a script run with `runDurably` returned, and how many replicas confirmed its writes. */
export interface DurableReply {
  readonly reply: unknown;
  readonly replicas: number;
}

/**
 * A Lua script run by EVALSHA, loaded with EVAL the first time a server hasn't seen it
 * (after a restart, or on a new server).
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly source: string, private readonly numberOfKeys: number) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    this.checkKeys(keys);
    try {
      return await redis.evalsha(this.sha, this.numberOfKeys, ...keys, ...args);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return redis.eval(this.source, this.numberOfKeys, ...keys, ...args);
    }
  }

  /**
   * Runs the script, then `WAIT replicas timeoutMs` right behind it in one pipeline: on a
   * Cluster a pipeline goes to the master of its keys' slot over one connection, and WAIT
   * counts the replicas that have every write made on that connection so far — the
   * script's included. With `replicas` 0 it is `run` (no WAIT).
   */
  async runDurably(redis: RedisClient, keys: readonly string[], args: readonly (string | number)[], replicas: number, timeoutMs: number): Promise<DurableReply> {
    if (replicas === 0) return { reply: await this.run(redis, keys, args), replicas: 0 };
    this.checkKeys(keys);
    const attempt = async (load: boolean): Promise<DurableReply> => {
      const pipeline = redis.pipeline();
      if (load) pipeline.eval(this.source, this.numberOfKeys, ...keys, ...args);
      else pipeline.evalsha(this.sha, this.numberOfKeys, ...keys, ...args);
      const results = await pipeline.call('WAIT', replicas, timeoutMs).exec();
      const [script, wait] = results ?? [];
      if (script === undefined || wait === undefined) throw new Error('the script pipeline was discarded');
      if (script[0] !== null) throw script[0];
      if (wait[0] !== null) throw wait[0];
      return { reply: script[1], replicas: Number(wait[1]) };
    };
    try {
      return await attempt(false);
    } catch (err) {
      if (!isNoScript(err)) throw err;
      return attempt(true);
    }
  }

  private checkKeys(keys: readonly string[]): void {
    if (keys.length !== this.numberOfKeys) throw new TypeError(`script expects ${this.numberOfKeys} keys, got ${keys.length}`);
  }
}

function isNoScript(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('NOSCRIPT');
}
