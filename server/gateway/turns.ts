import { performance } from 'node:perf_hooks';

/**
 * Takes turns with the rest of the node: waiters are let go one after another, each once
 * the last one's work is done, for at most `sliceMs` per loop iteration; then deliveries,
 * pings and requests run before the next slice. So a burst of heavy tasks — thousands of
 * subscribes, each replaying up to LIVELINE_MAX_RESUME_EVENTS events — never holds the
 * event loop for much more than a slice (one task's work at most past it), yet a herd of
 * light ones (readers resuming after a restart) is served many per iteration. Waiters are
 * served round-robin by key (the client's address), so one address queueing thousands of
 * tasks delays its own, not everyone else's.
 */
export interface Turn {
  /** True until the next turn is given: work done now still belongs to this one. */
  readonly current: boolean;
}

export class Turns {
  private readonly queues = new Map<string, Array<() => void>>();
  private waiting = 0;
  private scheduled = false;
  private given = 0;

  /** `sliceMs`: how long turns may be given one after another before the loop gets a turn, ms. */
  constructor(private readonly sliceMs: number) {}

  /** Resolves on this caller's turn; do the heavy work synchronously right after. */
  next(key: string): Promise<Turn> {
    return new Promise<void>((resolve) => {
      const queue = this.queues.get(key);
      if (queue === undefined) this.queues.set(key, [resolve]);
      else queue.push(resolve);
      this.waiting += 1;
      this.schedule();
    }).then(() => {
      const mine = this.given;
      const given = (): number => this.given;
      return {
        get current() {
          return given() === mine;
        },
      };
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // An immediate scheduled from an immediate runs in the next loop iteration, after I/O.
    setImmediate(() => this.giveTurns(performance.now() + this.sliceMs));
  }

  /** Gives the next turn, and more while the slice lasts, each after the last one's work. */
  private giveTurns(deadline: number): void {
    this.release();
    if (this.waiting > 0 && performance.now() < deadline) {
      afterMicrotasks(() => this.giveTurns(deadline));
      return;
    }
    this.scheduled = false;
    if (this.waiting > 0) this.schedule();
  }

  /** Lets the oldest waiter of the next key go; that key moves to the back of the rotation. */
  private release(): void {
    const first = this.queues.entries().next();
    if (first.done === true) return;
    const [key, queue] = first.value;
    this.queues.delete(key);
    const resolve = queue.shift();
    if (queue.length > 0) this.queues.set(key, queue);
    this.waiting -= 1;
    this.given += 1;
    resolve?.();
  }
}

/**
 * Runs `fn` once every microtask queued so far, and every one those queue in turn, has run:
 * after the synchronous work a just-resolved waiter does on waking. (A nextTick queued from
 * a microtask runs only when the microtask queue is empty.)
 */
function afterMicrotasks(fn: () => void): void {
  queueMicrotask(() => process.nextTick(fn));
}
