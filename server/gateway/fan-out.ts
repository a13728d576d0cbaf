import { performance } from 'node:perf_hooks';

/** Work that writes to readers, done in slices. */
export interface FanOutJob {
  /**
   * Writes until done or until `performance.now()` reaches `deadline` (checked every few
   * writes, so it may pass it by a few). Returns true when nothing is left to write.
   */
  run(deadline: number): boolean;
}

export interface FanOutOptions {
  /** Longest stretch of writing before the loop gets a turn, ms. */
  readonly sliceMs: number;
  /** Each stretch's length, seconds (liveline_fanout_slice_seconds). */
  readonly observe?: (seconds: number) => void;
}

/**
 * The node's writing schedule: every feed's fan-out, in slices, so one event to 20,000
 * readers never holds the event loop for more than about `sliceMs`, whoever else waits
 * (POSTs, pings, /readyz, other feeds).
 *
 * Never waits when idle: the first job woken in a loop iteration is written at once. A job
 * woken again in the same iteration (its feed got more events while the loop was busy), or
 * after the iteration's slice is spent, waits for the next tick (a setImmediate, after the
 * loop's I/O), and its events go out together: the busier the node, the more events each
 * write carries. Unfinished jobs continue round-robin, one slice per tick for all of them.
 */
export class FanOutScheduler {
  private readonly waiting = new Set<FanOutJob>();
  /** Jobs that wrote in this tick: woken again, they wait for the next one. */
  private readonly ranThisTick = new Set<FanOutJob>();
  private tickScheduled = false;
  private deadline = 0;

  constructor(private readonly options: FanOutOptions) {}

  /** `job` has something to write. */
  wake(job: FanOutJob): void {
    if (this.waiting.has(job)) return;
    const now = performance.now();
    if (!this.tickScheduled) {
      this.deadline = now + this.options.sliceMs;
      this.scheduleTick();
    }
    if (this.ranThisTick.has(job) || now >= this.deadline) {
      this.waiting.add(job);
      return;
    }
    this.ranThisTick.add(job);
    if (!job.run(this.deadline)) this.waiting.add(job);
    this.options.observe?.((performance.now() - now) / 1000);
  }

  /** Forgets `job` (its feed closed). */
  cancel(job: FanOutJob): void {
    this.waiting.delete(job);
  }

  private scheduleTick(): void {
    this.tickScheduled = true;
    setImmediate(() => this.tick());
  }

  private tick(): void {
    this.tickScheduled = false;
    this.ranThisTick.clear();
    if (this.waiting.size === 0) return; // idle again: the next event is written at once
    const started = performance.now();
    this.deadline = started + this.options.sliceMs;
    this.scheduleTick();
    for (const job of [...this.waiting]) {
      this.waiting.delete(job);
      this.ranThisTick.add(job);
      if (!job.run(this.deadline)) this.waiting.add(job); // to the back of the line
      if (performance.now() >= this.deadline) break;
    }
    this.options.observe?.((performance.now() - started) / 1000);
  }
}

/** Calls between two looks at the clock: a clock read costs about what a few writes do. */
const VISITS_PER_CLOCK_READ = 16;

/**
 * Visits every item of a set once, in slices (items added meanwhile are visited too, items
 * removed are skipped): the node's sweeps (pings, heartbeats) as a fan-out job.
 */
export class Sweep<T> implements FanOutJob {
  private readonly next: Iterator<T>;
  private finished = false;

  constructor(items: ReadonlySet<T>, private readonly visit: (item: T) => void) {
    this.next = items.values();
  }

  run(deadline: number): boolean {
    let visits = 0;
    for (let item = this.next.next(); item.done !== true; item = this.next.next()) {
      this.visit(item.value);
      if (++visits % VISITS_PER_CLOCK_READ === 0 && performance.now() >= deadline) return false;
    }
    this.finished = true;
    return true;
  }

  /** Every item has been visited. */
  get done(): boolean {
    return this.finished;
  }
}
