/**
 * "Editors keep posting while something fails": a driver shared by the failover tests (Redis
 * Sentinel, Redis Cluster). It knows nothing of the backend: it takes the URL editors and
 * SDK readers go through (a balancer), the nodes' URLs (a raw reader on each), a token and
 * feed ids. Editors post entries, each with its own Idempotency-Key, retrying the same key
 * on 5xx, timeouts and network errors until acknowledged; `verify()` then checks that every
 * acknowledged entry is in the store and reached every reader exactly once, in seq order.
 */
import WebSocket from 'ws';
import { LiveClient, type Entry, type FeedSnapshot, type LiveEvent } from '../../client-sdk/src';
import { TestReader, type Frame } from './reader';

export interface FailoverScenarioOptions {
  /** Where editors post and SDK readers connect: a balancer in front of the nodes. */
  readonly balancerUrl: string;
  /** One raw WebSocket reader connects to each (normally every node directly). */
  readonly nodeUrls: readonly string[];
  /** An editor token (`Authorization: Bearer`). */
  readonly token: string;
  readonly feeds: readonly string[];
  /** Editor loops posting side by side. Default 2. */
  readonly editors?: number;
  /** Create the feeds first (POST /v1/feeds through the balancer). Default true. */
  readonly createFeeds?: boolean;
  /** SDK readers (one LiveClient following every feed) through the balancer. Default 1. */
  readonly sdkReaders?: number;
  /** An editor's pause between two acknowledged entries, ms. Default 20. */
  readonly paceMs?: number;
  /** How long one entry may take, retries included, before its editor gives up, ms. Default 25 000. */
  readonly entryDeadlineMs?: number;
  /** One request's timeout, ms. Default 5000. */
  readonly requestTimeoutMs?: number;
}

/** An entry an editor got a 2xx for. */
export interface Acknowledged {
  readonly editor: number;
  readonly feed: string;
  readonly entryId: string;
  readonly seq: number;
  readonly headline: string;
  readonly key: string;
  readonly attempts: number;
  /** The answer said Idempotent-Replayed: an earlier, failed attempt had written it. */
  readonly replayed: boolean;
  readonly at: number;
}

/** From an editor's first failed attempt to its next acknowledged one. */
export interface Outage {
  readonly editor: number;
  readonly startedAt: number;
  endedAt: number | null;
  failedAttempts: number;
}

interface Delivery {
  /** Date.now() when the reader got it. */
  readonly at: number;
  readonly seq: number;
  readonly epoch: string;
  readonly type: string;
  readonly entryId: string | null;
}

/** One stretch of a reader's view of a feed: from a cursor (0, or a snapshot's seq), the events delivered after it. */
interface Segment {
  readonly from: number;
  readonly epoch: string | null;
  readonly why: string;
  /** The entries of the snapshot the segment starts from (null: none, the reader started from seq 0). */
  readonly snapshot: { readonly ids: ReadonlySet<string>; readonly complete: boolean } | null;
  readonly deliveries: Delivery[];
}

/** What one reader saw of one feed. */
class FeedLog {
  readonly segments: Segment[] = [];

  constructor(readonly feed: string) {}

  get current(): Segment | undefined {
    return this.segments[this.segments.length - 1];
  }

  /** The last seq the reader has: its cursor. */
  get position(): number {
    const s = this.current;
    return s === undefined ? -1 : (s.deliveries[s.deliveries.length - 1]?.seq ?? s.from);
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Wakes whoever waits on a change (a frame, an acknowledgement). */
class Changes {
  private waiters: Array<() => void> = [];

  wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  /** Resolves once `check()` holds, re-checked on every change; rejects after `timeoutMs` with `what()`. */
  async until(check: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!check()) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what()}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }
}

export interface Follower {
  readonly name: string;
  readonly logs: ReadonlyMap<string, FeedLog>;
  /** Why it can't be held to exactly-once (its socket closed, …), or null. */
  problem(): string | null;
  close(): Promise<void>;
}

/** Every entry of a feed from one node: the snapshot, then every older page. */
async function readAll(baseUrl: string, feed: string, timeoutMs: number): Promise<{ snapshot: FeedSnapshot; entries: Entry[] }> {
  const get = async (path: string): Promise<unknown> => {
    const res = await fetch(`${baseUrl}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
    const body = (await res.json()) as unknown;
    if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
    return body;
  };
  const snapshot = (await get(`/v1/feeds/${feed}?limit=100&fresh=1`)) as FeedSnapshot;
  const entries = [...snapshot.entries];
  for (let before = snapshot.nextBefore; before !== null;) {
    const page = (await get(`/v1/feeds/${feed}/entries?limit=100&before=${encodeURIComponent(before)}`)) as { entries: Entry[]; nextBefore: string | null };
    entries.push(...page.entries);
    before = page.nextBefore;
  }
  return { snapshot, entries };
}

/**
 * A raw WebSocket reader on one node, subscribed to every feed from seq 0. Like a careful
 * page: told `reset`, it reloads the whole feed (snapshot and pages) and resubscribes from
 * it; told `unavailable`, it subscribes again from its cursor. It does not reconnect.
 */
class RawFollower implements Follower {
  readonly logs = new Map<string, FeedLog>();
  private closedAt: { code: number; at: number } | null = null;
  private closing = false;
  private readonly errors: string[] = [];
  /** `unavailable` answers to a subscribe, each followed by another subscribe from the cursor. */
  resubscribes = 0;

  private constructor(readonly name: string, private readonly url: string, private readonly reader: TestReader, private readonly changes: Changes) {}

  static async start(name: string, url: string, feeds: readonly string[], changes: Changes): Promise<RawFollower> {
    const follower = new RawFollower(name, url, await TestReader.connect(url), changes);
    for (const feed of feeds) follower.logs.set(feed, new FeedLog(feed));
    follower.reader.ws.on('message', (data) => follower.onFrame(JSON.parse(data.toString()) as Frame));
    follower.reader.ws.on('close', (code) => {
      if (!follower.closing) follower.closedAt = { code, at: Date.now() };
      changes.wake();
    });
    for (const feed of feeds) {
      follower.logs.get(feed)?.segments.push({ from: 0, epoch: null, why: 'subscribed from seq 0', snapshot: null, deliveries: [] });
      await follower.reader.subscribe(feed, { since: 0 });
    }
    return follower;
  }

  problem(): string | null {
    if (this.closedAt !== null) return `its socket closed (code ${this.closedAt.code}) at ${new Date(this.closedAt.at).toISOString()}`;
    return this.errors.length > 0 ? this.errors.join('; ') : null;
  }

  async close(): Promise<void> {
    this.closing = true;
    await this.reader.close();
  }

  private onFrame(frame: Frame): void {
    const log = typeof frame.feed === 'string' ? this.logs.get(frame.feed) : undefined;
    if (frame.type === 'event' && log !== undefined) {
      const data = isRecord(frame.data) ? frame.data : {};
      log.current?.deliveries.push({
        at: Date.now(), seq: Number(frame.seq), epoch: String(frame.epoch), type: String(frame.event), entryId: typeof data.id === 'string' ? data.id : null,
      });
    } else if (frame.type === 'reset' && log !== undefined) {
      this.reload(log, String(frame.reason));
    } else if (frame.type === 'error' && log !== undefined && frame.code === 'unavailable') {
      this.resubscribes++;
      this.resubscribe(log);
    } else if (frame.type === 'error') {
      this.errors.push(`error frame ${JSON.stringify(frame)}`);
    }
    this.changes.wake();
  }

  private reload(log: FeedLog, reason: string): void {
    readAll(this.url, log.feed, 5000).then(({ snapshot, entries }) => {
      log.segments.push({
        from: snapshot.seq, epoch: snapshot.epoch, why: `reset (${reason}), reloaded at seq ${snapshot.seq}`,
        snapshot: { ids: new Set(entries.map((e) => e.id)), complete: true }, deliveries: [],
      });
      this.reader.send({ type: 'subscribe', feed: log.feed, since: snapshot.seq, epoch: snapshot.epoch });
      this.changes.wake();
    }, (err: unknown) => {
      this.errors.push(`reloading ${log.feed} after a reset failed: ${String(err)}`);
      this.changes.wake();
    });
  }

  private resubscribe(log: FeedLog): void {
    const epoch = log.current?.deliveries.at(-1)?.epoch ?? log.current?.epoch ?? null;
    setTimeout(() => {
      if (this.closing || this.closedAt !== null) return;
      this.reader.send({ type: 'subscribe', feed: log.feed, since: log.position, ...(epoch !== null ? { epoch } : {}) });
    }, 100);
  }
}

/** The SDK (LiveClient) following every feed on one connection, as a page would. */
class SdkFollower implements Follower {
  readonly logs = new Map<string, FeedLog>();
  private readonly client: LiveClient;
  private readonly errors: string[] = [];

  constructor(readonly name: string, url: string, feeds: readonly string[], private readonly changes: Changes) {
    this.client = new LiveClient({ url, WebSocket, minReconnectDelayMs: 20, maxReconnectDelayMs: 300 });
    this.client.on('error', (err) => {
      // Snapshot reloads that failed while Redis was down are retried by the SDK: counted, not fatal.
      this.errors.push(`${err.code}: ${err.message}`);
    });
    for (const feed of feeds) {
      const log = new FeedLog(feed);
      this.logs.set(feed, log);
      const sub = this.client.subscribe(feed);
      sub.on('snapshot', (snapshot, reason) => {
        log.segments.push({
          from: snapshot.seq, epoch: snapshot.epoch, why: `${reason} snapshot at seq ${snapshot.seq}`,
          snapshot: { ids: new Set(snapshot.entries.map((e) => e.id)), complete: snapshot.nextBefore === null }, deliveries: [],
        });
        changes.wake();
      });
      sub.on('event', (e: LiveEvent) => {
        const data: unknown = e.data;
        log.current?.deliveries.push({ at: Date.now(), seq: e.seq, epoch: e.epoch, type: e.type, entryId: isRecord(data) && typeof data.id === 'string' ? data.id : null });
        changes.wake();
      });
      sub.on('state', () => changes.wake());
    }
    this.client.connect();
  }

  get reportedErrors(): readonly string[] {
    return this.errors;
  }

  problem(): string | null {
    return null;
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}

type Attempt =
  | { readonly ok: true; readonly entryId: string; readonly seq: number; readonly headline: string; readonly replayed: boolean }
  | { readonly ok: false; readonly kind: string; readonly retryable: boolean; readonly detail: string };

/** The editor-side outcome of one run, for the test's assertions and its printout. */
export interface EditorStats {
  readonly editor: number;
  acknowledged: number;
  failedAttempts: number;
  replays: number;
  readonly failures: Map<string, number>;
  /** The distinct messages of each kind of failure (at most 3 kept). */
  readonly samples: Map<string, Set<string>>;
  readonly outages: Outage[];
  /** Why the editor stopped before it was asked to (a refusal that is no outage, a deadline), or null. */
  gaveUp: string | null;
}

export class FailoverScenario {
  readonly acknowledged: Acknowledged[] = [];
  readonly stats: EditorStats[];
  readonly followers: Follower[] = [];
  private readonly changes = new Changes();
  private readonly runId = `run${Date.now().toString(36)}`;
  /** When the scenario started (Date.now()): outages are printed relative to it. */
  readonly startedAt = Date.now();
  private stopping = false;
  private loops: Array<Promise<void>> = [];
  private readonly wakeLoops = new Set<() => void>();

  private constructor(private readonly options: FailoverScenarioOptions) {
    this.stats = Array.from({ length: options.editors ?? 2 }, (_, editor) => ({
      editor, acknowledged: 0, failedAttempts: 0, replays: 0, failures: new Map<string, number>(), samples: new Map<string, Set<string>>(), outages: [], gaveUp: null,
    }));
  }

  /** Creates the feeds (unless told not to), connects every reader, waits until they follow every feed, then starts the editors. */
  static async start(options: FailoverScenarioOptions): Promise<FailoverScenario> {
    const scenario = new FailoverScenario(options);
    try {
      if (options.createFeeds ?? true) {
        for (const id of options.feeds) {
          const res = await scenario.request('POST', '/v1/feeds', { id, title: `Live updates: ${id}` });
          if (res.status !== 201) throw new Error(`creating feed ${id}: ${res.status} ${JSON.stringify(res.body)}`);
        }
      }
      for (const [i, url] of options.nodeUrls.entries()) {
        scenario.followers.push(await RawFollower.start(`raw reader on node ${i} (${url})`, url, options.feeds, scenario.changes));
      }
      for (let i = 0; i < (options.sdkReaders ?? 1); i++) {
        scenario.followers.push(new SdkFollower(`SDK reader ${i} via the balancer`, options.balancerUrl, options.feeds, scenario.changes));
      }
      await scenario.changes.until(
        () => scenario.followers.every((f) => [...f.logs.values()].every((l) => l.current !== undefined)),
        () => 'every SDK reader to load its snapshots', 10_000,
      );
    } catch (err) {
      await scenario.close();
      throw err;
    }
    scenario.loops = scenario.stats.map((s) => scenario.editorLoop(s));
    return scenario;
  }

  /** Resolves once `count` entries have been acknowledged in all. */
  waitForAcknowledged(count: number, timeoutMs: number): Promise<void> {
    return this.changes.until(() => this.acknowledged.length >= count, () => `${count} acknowledged entries (have ${this.acknowledged.length}); ${this.summary()}`, timeoutMs);
  }

  /** Resolves once every editor has had `count` entries acknowledged after `since` (a Date.now() value). */
  waitForAcknowledgedAfter(since: number, count: number, timeoutMs: number): Promise<void> {
    const after = (editor: number): number => this.acknowledged.filter((a) => a.editor === editor && a.at > since).length;
    return this.changes.until(
      () => this.stats.every((s) => after(s.editor) >= count),
      () => `${count} acknowledged entries per editor after ${new Date(since).toISOString()} (have ${this.stats.map((s) => after(s.editor)).join(', ')}); ${this.summary()}`,
      timeoutMs,
    );
  }

  /** Stops the editors after the entry each is on (acknowledged, or given up at its deadline). */
  async stopPosting(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeLoops) wake();
    await Promise.all(this.loops);
  }

  /** Every outage of every editor, and the longest (ms; an open one counts up to now). */
  outages(): { all: readonly Outage[]; longestMs: number; failedAttempts: number } {
    const all = this.stats.flatMap((s) => s.outages);
    const longestMs = Math.max(0, ...all.map((o) => (o.endedAt ?? Date.now()) - o.startedAt));
    return { all, longestMs, failedAttempts: this.stats.reduce((n, s) => n + s.failedAttempts, 0) };
  }

  /** One line of figures for the test to print. */
  summary(): string {
    const { all, longestMs, failedAttempts } = this.outages();
    const failures = new Map<string, number>();
    const samples = new Map<string, Set<string>>();
    for (const s of this.stats) for (const [k, n] of s.failures) failures.set(k, (failures.get(k) ?? 0) + n);
    for (const s of this.stats) for (const [k, m] of s.samples) samples.set(k, new Set([...(samples.get(k) ?? []), ...m]));
    const replays = this.stats.reduce((n, s) => n + s.replays, 0);
    const perEditor = this.stats.map((s) => `editor ${s.editor}: ${s.acknowledged} acknowledged, ${s.failedAttempts} failed attempts, `
      + `outages [${s.outages.map((o) => `${o.endedAt === null ? 'open' : `${o.endedAt - o.startedAt} ms`} from +${o.startedAt - this.startedAt} ms (${o.failedAttempts} attempts)`).join(', ')}]`
      + (s.gaveUp !== null ? `, gave up: ${s.gaveUp}` : ''));
    return `${this.acknowledged.length} entries acknowledged (${replays} after a retry answered as a replay); `
      + `${failedAttempts} failed attempts {${[...failures].map(([k, n]) => `${k}: ${n} (${[...(samples.get(k) ?? [])].map((m) => `"${m}"`).join(' / ')})`).join(', ')}}; `
      + `${all.length} outage(s), longest ${longestMs} ms; ${perEditor.join('; ')}`;
  }

  /**
   * After stopPosting(): checks the store and every reader, waiting (bounded) for readers to
   * reach each feed's head first. Throws one error listing every violation found.
   */
  async verify(catchUpTimeoutMs = 15_000): Promise<void> {
    if (!this.stopping) throw new TypeError('verify() before stopPosting()');
    const problems: string[] = [];
    for (const s of this.stats) if (s.gaveUp !== null) problems.push(`editor ${s.editor} gave up: ${s.gaveUp}`);
    const store = new Map<string, { head: number; epoch: string; ids: Map<string, string | null> }>();
    for (const feed of this.options.feeds) {
      const { snapshot, entries } = await readAll(this.options.balancerUrl, feed, 5000);
      const ids = new Map(entries.map((e) => [e.id, e.headline]));
      store.set(feed, { head: snapshot.seq, epoch: snapshot.epoch, ids });
      problems.push(...this.checkStore(feed, snapshot.seq, entries));
    }
    const head = (feed: string): { head: number; epoch: string; ids: Map<string, string | null> } => store.get(feed) ?? { head: 0, epoch: '', ids: new Map() };
    const following = this.followers.filter((f) => f.problem() === null);
    try {
      await this.changes.until(
        () => following.every((f) => [...f.logs.values()].every((l) => l.position >= head(l.feed).head)),
        () => `every reader to reach each feed's head: ${following.flatMap((f) => [...f.logs.values()].filter((l) => l.position < head(l.feed).head)
          .map((l) => `${f.name} at ${l.feed} seq ${l.position} of ${head(l.feed).head}`)).join(', ')}`,
        catchUpTimeoutMs,
      );
    } catch (err) {
      problems.push(String(err));
    }
    for (const f of this.followers) {
      const problem = f.problem();
      if (problem !== null) {
        problems.push(`${f.name}: ${problem}`);
        continue;
      }
      for (const log of f.logs.values()) problems.push(...this.checkReader(f.name, log, head(log.feed)));
    }
    if (problems.length > 0) throw new Error(`${problems.length} violation(s):\n- ${problems.slice(0, 40).join('\n- ')}\n${this.summary()}`);
  }

  /** Snapshot reloads the readers went through, each after a `reset`. */
  resets(): number {
    return this.followers.reduce((n, f) => n + [...f.logs.values()].reduce((m, l) => m + l.segments.length - 1, 0), 0);
  }

  /**
   * Per reader: events received, snapshot reloads, and how long after its acknowledgement
   * the slowest acknowledged entry arrived (ms; negative: before the editor had the answer).
   */
  readerSummary(): string {
    return this.followers.map((f) => {
      const logs = [...f.logs.values()];
      let slowest: { lag: number; ack: Acknowledged } | null = null;
      for (const a of this.acknowledged) {
        const d = f.logs.get(a.feed)?.segments.flatMap((s) => s.deliveries).find((x) => x.seq === a.seq);
        if (d !== undefined && (slowest === null || d.at - a.at > slowest.lag)) slowest = { lag: d.at - a.at, ack: a };
      }
      return `${f.name}: ${logs.reduce((n, l) => n + l.segments.reduce((m, s) => m + s.deliveries.length, 0), 0)} events, `
        + `${logs.reduce((n, l) => n + l.segments.length - 1, 0)} reloads`
        + (slowest !== null ? `, slowest acknowledged entry ${slowest.lag} ms after its answer (${slowest.ack.feed} seq ${slowest.ack.seq})` : '')
        + (f instanceof RawFollower && f.resubscribes > 0 ? `, ${f.resubscribes} subscribes answered unavailable` : '')
        + (f instanceof SdkFollower && f.reportedErrors.length > 0 ? `, ${f.reportedErrors.length} SDK errors (first: ${f.reportedErrors[0]})` : '');
    }).join('; ');
  }

  async close(): Promise<void> {
    this.stopping = true;
    for (const wake of this.wakeLoops) wake();
    await Promise.all(this.loops);
    await Promise.all(this.followers.map((f) => f.close()));
  }

  private checkStore(feed: string, head: number, entries: readonly Entry[]): string[] {
    const problems: string[] = [];
    const ids = new Map(entries.map((e) => [e.id, e.headline]));
    const acks = this.acknowledged.filter((a) => a.feed === feed);
    for (const a of acks) {
      if (!ids.has(a.entryId)) problems.push(`store: feed ${feed} lacks acknowledged entry ${a.entryId} (seq ${a.seq}, "${a.headline}", editor ${a.editor})`);
      else if (ids.get(a.entryId) !== a.headline) problems.push(`store: feed ${feed} entry ${a.entryId} has headline "${ids.get(a.entryId)}", acknowledged as "${a.headline}"`);
      if (a.seq > head) problems.push(`store: feed ${feed} head is seq ${head}, yet entry ${a.entryId} was acknowledged at seq ${a.seq}`);
    }
    const bySeq = new Map<number, Acknowledged>();
    for (const a of acks) {
      const other = bySeq.get(a.seq);
      if (other !== undefined && other.entryId !== a.entryId) problems.push(`feed ${feed}: two entries acknowledged at seq ${a.seq}: ${other.entryId} ("${other.headline}") and ${a.entryId} ("${a.headline}")`);
      bySeq.set(a.seq, a);
    }
    const headlines = new Map<string, number>();
    for (const e of entries) if (e.headline?.startsWith(this.runId) === true) headlines.set(e.headline, (headlines.get(e.headline) ?? 0) + 1);
    for (const [h, n] of headlines) if (n > 1) problems.push(`store: feed ${feed} holds "${h}" ${n} times (one Idempotency-Key, several entries)`);
    return problems;
  }

  private checkReader(name: string, log: FeedLog, store: { head: number; epoch: string; ids: Map<string, string | null> }): string[] {
    const problems: string[] = [];
    const where = `${name}, feed ${log.feed}`;
    const acks = new Map(this.acknowledged.filter((a) => a.feed === log.feed).map((a) => [a.seq, a]));
    for (const seg of log.segments) {
      let expected = seg.from + 1;
      for (const d of seg.deliveries) {
        if (d.seq < expected) problems.push(`${where}: seq ${d.seq} delivered again after seq ${expected - 1} (${seg.why})`);
        else if (d.seq > expected) problems.push(`${where}: gap, seq ${expected}${d.seq - 1 > expected ? `–${d.seq - 1}` : ''} never delivered before seq ${d.seq} (${seg.why})`);
        if (d.epoch !== store.epoch) problems.push(`${where}: seq ${d.seq} delivered in epoch ${d.epoch}, the store's is ${store.epoch}`);
        const ack = acks.get(d.seq);
        if (ack !== undefined && d.entryId !== ack.entryId) problems.push(`${where}: seq ${d.seq} carried ${d.type} ${d.entryId}, but entry ${ack.entryId} was acknowledged at seq ${d.seq}`);
        if (d.type === 'entry.created' && d.entryId !== null && !store.ids.has(d.entryId)) problems.push(`${where}: seq ${d.seq} delivered entry ${d.entryId}, which the store does not hold`);
        expected = Math.max(expected, d.seq + 1);
      }
    }
    const last = log.current;
    if (last === undefined) return [...problems, `${where}: never subscribed`];
    if (log.position !== store.head) problems.push(`${where}: ends at seq ${log.position}, the feed's head is ${store.head} (seq ${log.position + 1}–${store.head} never delivered)`);
    if (last.epoch !== null && last.epoch !== store.epoch) problems.push(`${where}: follows epoch ${last.epoch}, the store's is ${store.epoch}`);
    for (const a of acks.values()) {
      if (a.seq > last.from) continue; // delivered in the last segment: checked above
      const snap = last.snapshot;
      if (snap === null) continue;
      if (!snap.ids.has(a.entryId) && snap.complete) problems.push(`${where}: entry ${a.entryId} (seq ${a.seq}) is not in the snapshot reloaded at seq ${last.from} (${last.why})`);
    }
    return problems;
  }

  private async editorLoop(stats: EditorStats): Promise<void> {
    const feeds = this.options.feeds;
    for (let n = 1; !this.stopping; n++) {
      const feed = feeds[(stats.editor + n) % feeds.length] as string;
      const headline = `${this.runId} editor ${stats.editor} entry ${n}`;
      const ok = await this.postUntilAcknowledged(stats, feed, headline, `${this.runId}-e${stats.editor}-${n}`);
      if (!ok) return;
      await this.pause(this.options.paceMs ?? 20);
    }
  }

  /** Posts one entry, retrying the same Idempotency-Key, until acknowledged (true) or given up (false). */
  private async postUntilAcknowledged(stats: EditorStats, feed: string, headline: string, key: string): Promise<boolean> {
    const deadline = Date.now() + (this.options.entryDeadlineMs ?? 25_000);
    for (let attempt = 1; ; attempt++) {
      const startedAt = Date.now();
      const result = await this.attempt(feed, headline, key);
      const outage = stats.outages[stats.outages.length - 1];
      const open = outage !== undefined && outage.endedAt === null ? outage : null;
      if (result.ok) {
        if (open !== null) open.endedAt = Date.now();
        if (result.replayed) stats.replays++;
        if (result.headline !== headline) {
          stats.gaveUp = `${key} was answered with entry ${result.entryId} headed "${result.headline}", not "${headline}"`;
          return false;
        }
        if (result.replayed && attempt === 1) stats.gaveUp = `${key} answered as a replay on its first attempt`;
        stats.acknowledged++;
        this.acknowledged.push({ editor: stats.editor, feed, entryId: result.entryId, seq: result.seq, headline, key, attempts: attempt, replayed: result.replayed, at: Date.now() });
        this.changes.wake();
        return stats.gaveUp === null;
      }
      stats.failedAttempts++;
      stats.failures.set(result.kind, (stats.failures.get(result.kind) ?? 0) + 1);
      const messages = stats.samples.get(result.kind) ?? new Set<string>();
      if (messages.size < 3) messages.add(result.detail);
      stats.samples.set(result.kind, messages);
      if (open !== null) open.failedAttempts++;
      else stats.outages.push({ editor: stats.editor, startedAt, endedAt: null, failedAttempts: 1 });
      this.changes.wake();
      if (!result.retryable) {
        stats.gaveUp = `${key} refused: ${result.kind}`;
        return false;
      }
      if (Date.now() > deadline) {
        stats.gaveUp = `${key} not acknowledged within ${this.options.entryDeadlineMs ?? 25_000} ms (${attempt} attempts, last: ${result.kind})`;
        return false;
      }
      await sleep(Math.min(400, 25 * 2 ** Math.min(attempt - 1, 5)));
    }
  }

  private async attempt(feed: string, headline: string, key: string): Promise<Attempt> {
    let res: { status: number; body: unknown; replayed: boolean };
    try {
      res = await this.request('POST', `/v1/feeds/${feed}/entries`, { headline, body: `<p>${headline}</p>` }, { 'Idempotency-Key': key });
    } catch (err) {
      const cause = err instanceof Error && isRecord(err.cause) ? err.cause : null;
      const kind = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError')
        ? 'timeout'
        : `network ${typeof cause?.code === 'string' ? cause.code : err instanceof Error ? err.message : String(err)}`;
      return { ok: false, kind, retryable: true, detail: `${String(err)}${cause !== null ? ` (${String(cause.message)})` : ''}` };
    }
    if (res.status === 200 || res.status === 201) {
      const body = isRecord(res.body) ? res.body : {};
      const entry = isRecord(body.entry) ? body.entry : {};
      if (typeof entry.id !== 'string' || typeof body.seq !== 'number') return { ok: false, kind: `${res.status} without entry/seq`, retryable: false, detail: JSON.stringify(res.body) };
      return { ok: true, entryId: entry.id, seq: body.seq, headline: String(entry.headline), replayed: res.replayed };
    }
    const error = isRecord(res.body) && isRecord(res.body.error) ? res.body.error : {};
    const kind = `${res.status} ${typeof error.code === 'string' ? error.code : JSON.stringify(res.body)}`;
    return { ok: false, kind, retryable: res.status >= 500 || res.status === 429, detail: typeof error.message === 'string' ? error.message : JSON.stringify(res.body) };
  }

  private async request(method: string, path: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown; replayed: boolean }> {
    const res = await fetch(`${this.options.balancerUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.options.token}`, 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 5000),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text === '' ? null : (JSON.parse(text) as unknown);
    } catch (err) {
      parsed = `${text.slice(0, 200)} (not JSON: ${String(err)})`;
    }
    return { status: res.status, body: parsed, replayed: res.headers.get('idempotent-replayed') === 'true' };
  }

  /** Waits `ms` between two entries, or less when the scenario stops. */
  private pause(ms: number): Promise<void> {
    if (this.stopping || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeLoops.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeLoops.add(done);
    });
  }
}
