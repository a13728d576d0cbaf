import { Batch, type Delivery } from './delivery';
import { Sweep, type FanOutJob } from './fan-out';

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
  /** The batch being written: a sweep of the members. */
  private writing: Sweep<BatchReceiver> | null = null;

  /** `onBatch` hears of each batch as its writing starts. */
  constructor(private readonly members: ReadonlySet<BatchReceiver>, private readonly onBatch?: (batch: Batch) => void) {}

  /** Queues `d`, the feed's next event; the scheduler then runs this job. */
  push(d: Delivery): void {
    this.pending.push(d);
  }

  /** Drops everything not yet written (the feed's history was replaced, or the hub closed). */
  clear(): void {
    this.pending = [];
    this.writing = null;
  }

  run(deadline: number): boolean {
    if (this.writing === null) {
      if (this.pending.length === 0) return true;
      const batch = new Batch(this.pending);
      this.pending = [];
      this.onBatch?.(batch);
      this.writing = new Sweep(this.members, (m) => m.deliver(batch));
    }
    if (!this.writing.run(deadline)) return false;
    this.writing = null;
    return this.pending.length === 0;
  }
}
