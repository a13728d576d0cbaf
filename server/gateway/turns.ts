/**
 * Takes turns with the rest of the node: each waiter is let go in a loop iteration of its
 * own (one setImmediate each), so a burst of heavy tasks — thousands of subscribes, each
 * replaying up to LIVELINE_MAX_RESUME_EVENTS events — never holds the event loop for more
 * than one of them at a time: deliveries, pings and requests run in between. Waiters are
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
    setImmediate(() => {
      this.scheduled = false;
      this.release();
      if (this.waiting > 0) this.schedule();
    });
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
