import { performance } from 'node:perf_hooks';
import { Batch, type Delivery } from './delivery';
import { VISITS_PER_CLOCK_READ, type FanOutJob } from './fan-out';

/** Something a feed's events are written to (a reader's subscription). */
export interface BatchReceiver {
  /** The next consecutive events of the feed, in seq order. */
  deliver(batch: Batch): void;
}

/**
 * One feed's events on their way to its readers, as a fan-out job: the events that queued
 * up since the last write become one batch, written to every member in turn, over as many
 * slices as it takes. A member that joins during a batch gets it too (and drops the seqs it
 * already has); one that leaves is skipped.
 */
export class Broadcast implements FanOutJob {
  private pending: Delivery[] = [];
  private batch: Batch | null = null;
  private next: Iterator<BatchReceiver> | null = null;

  /** `onBatch` hears of each batch as its writing starts. */
  constructor(private readonly members: ReadonlySet<BatchReceiver>, private readonly onBatch?: (batch: Batch) => void) {}

  /** Queues `d`, the feed's next event; the scheduler then runs this job. */
  push(d: Delivery): void {
    this.pending.push(d);
  }

  /** Drops everything not yet written (the feed's history was replaced, or the hub closed). */
  clear(): void {
    this.pending = [];
    this.batch = null;
    this.next = null;
  }

  run(deadline: number): boolean {
    if (this.batch === null) {
      if (this.pending.length === 0) return true;
      this.batch = new Batch(this.pending);
      this.pending = [];
      this.onBatch?.(this.batch);
      this.next = this.members.values();
    }
    const batch = this.batch;
    const next = this.next as Iterator<BatchReceiver>;
    let writes = 0;
    for (let m = next.next(); m.done !== true; m = next.next()) {
      m.value.deliver(batch);
      if (++writes % VISITS_PER_CLOCK_READ === 0 && performance.now() >= deadline) return false;
    }
    this.batch = null;
    this.next = null;
    return this.pending.length === 0;
  }
}
