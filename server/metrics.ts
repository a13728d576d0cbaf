/**
 * Prometheus metrics at GET /metrics. The names are part of Liveline's API (README,
 * "Metrics"): change them only with a release note. One Registry per app, so several apps
 * in one process (tests) don't share counters.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export type Transport = 'websocket' | 'sse';

export interface Metrics {
  readonly registry: Registry;
  /** Open reader connections. */
  readonly connections: Gauge<'transport'>;
  /** Active feed subscriptions of readers. */
  readonly subscriptions: Gauge<'transport'>;
  /** Feeds this node serves (a hub each: a broker subscription and its resume window), lingering ones included. */
  readonly feedsServed: Gauge;
  /** Changes committed through this node's API (each is one event). */
  readonly eventsPublished: Counter<'type'>;
  /**
   * Event messages written to readers, tallied in plain numbers on the hot path (a label
   * lookup per write would cost more than the write) and added to
   * liveline_events_delivered_total when it is scraped.
   */
  readonly delivered: Record<Transport, number>;
  /** Stretches of writing to readers without a break for the event loop, seconds. */
  readonly fanOutSlice: Histogram;
  /** Events per batch written to a feed's readers: above 1 when events queued up while the node was busy. */
  readonly fanOutBatch: Histogram;
  /** From the commit of an event to this node starting to write it to its readers, seconds. */
  readonly publishToDeliver: Histogram;
  /** Readers cut off because their send buffer passed the cap. */
  readonly slowReaders: Counter<'transport'>;
  /** Times a feed's events arrived with a hole (or after a broker reconnect) and the store was read. */
  readonly gapsDetected: Counter;
  /** Events recovered from the store to fill those holes. */
  readonly gapEventsFilled: Counter;
  /** Store reads made by feed hubs on behalf of readers, by why (catch_up, backfill, hub_start), and existence checks (exists). */
  readonly storeReads: Counter<'reason'>;
  /** Stalled readers closed: nothing drained (or our ping unanswered) for LIVELINE_STALL_TIMEOUT_MS. */
  readonly stalledReaders: Counter<'transport'>;
  /** Broker messages dropped because they were not well-formed announcements. */
  readonly brokerRejected: Counter;
  /** Failed editor authentications (wrong or missing token). */
  readonly authFailures: Counter;
  /** `reset` sent to readers, by reason. */
  readonly resets: Counter<'reason'>;
  readonly redisErrors: Counter<'connection'>;
  readonly redisReconnects: Counter<'connection'>;
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  /** Requests and connections refused by a protective limit. */
  readonly refused: Counter<'limit'>;
  /** 1 when /readyz would answer 200. */
  readonly ready: Gauge;
}

export function createMetrics(): Metrics {
  const registry = new Registry();
  // Process metrics, among them liveline_nodejs_eventloop_lag_seconds (event-loop lag).
  collectDefaultMetrics({ register: registry, prefix: 'liveline_' });
  const registers = [registry];
  const delivered: Record<Transport, number> = { websocket: 0, sse: 0 };
  // Registered, and read only through the registry: scraping adds the tally.
  new Counter({
    name: 'liveline_events_delivered_total',
    help: 'Event messages written to readers',
    labelNames: ['transport'],
    registers,
    collect() {
      for (const transport of ['websocket', 'sse'] as const) {
        this.inc({ transport }, delivered[transport]);
        delivered[transport] = 0;
      }
    },
  });
  return {
    registry,
    connections: new Gauge({ name: 'liveline_connections', help: 'Open reader connections', labelNames: ['transport'], registers }),
    subscriptions: new Gauge({ name: 'liveline_subscriptions', help: 'Active reader feed subscriptions', labelNames: ['transport'], registers }),
    feedsServed: new Gauge({ name: 'liveline_feeds_served', help: 'Feeds this node holds a hub for (broker subscription and resume window)', registers }),
    eventsPublished: new Counter({ name: 'liveline_events_published_total', help: 'Changes committed through this node', labelNames: ['type'], registers }),
    delivered,
    fanOutBatch: new Histogram({
      name: 'liveline_fanout_batch_events',
      help: 'Events per batch written to a feed\'s readers (more than one when they queued up while the node was busy)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    }),
    fanOutSlice: new Histogram({
      name: 'liveline_fanout_slice_seconds',
      help: 'Stretches of writing to readers without a break for the event loop',
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1],
      registers,
    }),
    publishToDeliver: new Histogram({
      name: 'liveline_publish_to_deliver_seconds',
      help: 'From commit to this node starting to write the event to its readers',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    slowReaders: new Counter({ name: 'liveline_slow_readers_disconnected_total', help: 'Readers cut off for falling behind', labelNames: ['transport'], registers }),
    gapsDetected: new Counter({ name: 'liveline_gaps_detected_total', help: 'Holes in a feed\'s event stream detected (read from the store)', registers }),
    gapEventsFilled: new Counter({ name: 'liveline_gap_events_filled_total', help: 'Events recovered from the store to fill holes', registers }),
    storeReads: new Counter({ name: 'liveline_store_reads_total', help: 'Store reads made for readers (hubs and existence checks)', labelNames: ['reason'], registers }),
    stalledReaders: new Counter({ name: 'liveline_stalled_readers_total', help: 'Readers closed because their connection drained nothing (or left our ping unanswered) for the stall timeout', labelNames: ['transport'], registers }),
    brokerRejected: new Counter({ name: 'liveline_broker_messages_rejected_total', help: 'Pub/sub messages dropped as malformed', registers }),
    authFailures: new Counter({ name: 'liveline_auth_failures_total', help: 'Failed editor authentications', registers }),
    resets: new Counter({ name: 'liveline_resets_sent_total', help: 'reset sent to readers', labelNames: ['reason'], registers }),
    redisErrors: new Counter({ name: 'liveline_redis_errors_total', help: 'Redis connection errors', labelNames: ['connection'], registers }),
    redisReconnects: new Counter({ name: 'liveline_redis_reconnects_total', help: 'Redis reconnect attempts', labelNames: ['connection'], registers }),
    httpRequests: new Counter({ name: 'liveline_http_requests_total', help: 'HTTP requests', labelNames: ['route', 'method', 'status'], registers }),
    refused: new Counter({ name: 'liveline_refused_total', help: 'Refused by a protective limit', labelNames: ['limit'], registers }),
    ready: new Gauge({ name: 'liveline_ready', help: '1 when the node is ready to deliver', registers }),
  };
}
