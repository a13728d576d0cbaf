import type { FeedStore } from '../store/feed-store';

export interface ScheduledPublisherOptions {
  /** How often this node asks the store to publish what is due, ms. Default 250: entries go out at most this late. */
  readonly intervalMs?: number;
  /** Called with each entry count published (for metrics). */
  readonly published?: (count: number) => void;
  readonly onError: (err: unknown, context: string) => void;
}

type State = 'idle' | 'running' | 'closed';

/**
 * Every node runs one: a loop that asks the store to publish the scheduled entries whose
 * time has come. The store makes each go out exactly once however many nodes ask, so any
 * node that is up publishes them: the one that accepted an entry may be long gone.
 */
export class ScheduledPublisher {
  private state: State = 'idle';
  private timer: NodeJS.Timeout | null = null;
  private pass: Promise<void> = Promise.resolve();
  private readonly intervalMs: number;

  constructor(private readonly store: FeedStore, private readonly options: ScheduledPublisherOptions) {
    this.intervalMs = options.intervalMs ?? 250;
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'running';
    this.schedule();
  }

  /** Stops the loop and waits for a pass under way. Idempotent. */
  async close(): Promise<void> {
    this.state = 'closed';
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    await this.pass;
  }

  private schedule(): void {
    if (this.state !== 'running') return;
    // One pass at a time: the next waits for this one, so a slow store never piles passes up.
    this.timer = setTimeout(() => {
      this.pass = this.runPass().finally(() => this.schedule());
    }, this.intervalMs);
    this.timer.unref();
  }

  private async runPass(): Promise<void> {
    try {
      const count = await this.store.publishDue();
      if (count > 0) this.options.published?.(count);
    } catch (err) {
      // The store is down or busy: the entries wait for the next pass, on this node or another.
      this.options.onError(err, 'publishing scheduled entries');
    }
  }
}
