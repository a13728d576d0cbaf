import type { Backend } from './backend';
import type { Metrics } from './metrics';

/** Failed checks in a row before connections that claim to be up are re-established. */
const FAILURES_BEFORE_REPAIR = 3;

export interface ReadinessOptions {
  /** Interval between checks, ms. Default 2000. */
  readonly intervalMs?: number;
  /** How long the probe may take to come back through the broker, ms. Default 1000. */
  readonly probeTimeoutMs?: number;
}

/**
 * Whether this node can really deliver, checked in the background: the store answers AND a
 * probe published through the broker comes back to this node in time. A node whose
 * connection silently stopped working (half-open, or a subscriber that no longer
 * receives) is therefore unready; it re-establishes the connections that claim to be up
 * (the subscriber then resubscribes and resyncs every feed) and is ready again once a
 * probe gets through.
 */
export class ReadinessMonitor {
  private ok = false;
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Failed checks in a row. */
  private failures = 0;

  constructor(private readonly backend: Backend, private readonly metrics: Metrics, private readonly onError: (err: unknown, context: string) => void, private readonly options: ReadinessOptions = {}) {}

  get ready(): boolean {
    return this.ok && !this.stopped;
  }

  /** Runs a first check now (resolving when it is done), then one every interval. */
  async start(): Promise<void> {
    // A dropped connection makes the node unready at once; its return triggers a check
    // (which passes only once a probe gets through the resubscribed connection).
    this.backend.onConnectionChange((up) => {
      if (up) {
        void this.check();
        return;
      }
      this.ok = false;
      this.metrics.ready.set(0);
    });
    await this.check();
    this.schedule();
  }

  /** Unready from now on (shutdown); stops checking. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.metrics.ready.set(0);
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.check().finally(() => this.schedule());
    }, this.options.intervalMs ?? 2000);
    this.timer.unref();
  }

  private check(): Promise<void> {
    this.running ??= this.runCheck().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runCheck(): Promise<void> {
    const storeOk = await this.backend.isReady().catch((err: unknown) => {
      this.onError(err, 'readiness: store check');
      return false;
    });
    const delivered = storeOk && (await this.backend.broker.probe(this.options.probeTimeoutMs ?? 1000));
    this.failures = delivered ? 0 : this.failures + 1;
    // Repair only a sustained failure: one slow probe under load is not a broken connection,
    // and reconnecting would fail every read in flight.
    if (this.failures >= FAILURES_BEFORE_REPAIR && !this.stopped) {
      this.failures = 0;
      this.backend.repair(); // it knows whether there is anything to repair
    }
    this.ok = delivered;
    this.metrics.ready.set(this.ready ? 1 : 0);
  }
}
