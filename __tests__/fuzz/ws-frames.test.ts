/**
 * Fuzzing the WebSocket gateway: arbitrary text, bytes and frame-shaped JSON sent one at a
 * time on open connections. Every frame must get a defined answer (an error frame with a
 * protocol code, `subscribed`/`reset`/`unsubscribed` for what parses, or one of the close
 * codes the server documents), nothing may reject unhandled, and a reader subscribed all
 * along still gets the next entry. The frame budgets are lifted: the point is the parser.
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import WebSocket from 'ws';
import type { RunningApp } from '../../server/app';
import { parseClientFrame, type ProtocolErrorCode } from '../../server/gateway/protocol';
import { TestReader, type Frame } from '../helpers/reader';
import { api, startTestApp } from '../helpers/test-app';
import { FUZZ_RUNS, RejectionCounter, fuzzSeed, recordingLogger, report } from './support';

const PROTOCOL_ERRORS: ReadonlySet<ProtocolErrorCode> = new Set([
  'bad_frame', 'unknown_type', 'invalid_field', 'feed_not_found', 'too_many_subscriptions', 'rate_limited', 'unavailable',
]);
/** The largest frame the server reads (its default maxPayload); bigger: close 1009. */
const MAX_FRAME = 4096;
/** Close codes a frame may cause: 1009 (too big, ws itself) and 1007 (text that is not UTF-8, ws itself). */
const FRAME_CLOSE_CODES = new Set([1007, 1009]);

/**
 * The feeds frames name. Many: a cursor ahead of a feed is answered after at most one head
 * read per feed per 100 ms (by design), so spread over many feeds such frames rarely wait.
 */
const FEEDS = [...Array.from({ length: 24 }, (_, i) => `fuzz-ws-${i}`), 'fuzz-ws-control'];
/** Replaced by the real epoch of the frame's feed (of the first one for another feed) when sent. */
const REAL_EPOCH = '{{epoch}}';

type FuzzFrame =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'binary'; readonly bytes: Uint8Array }
  | { readonly kind: 'raw-text'; readonly bytes: Uint8Array };

/** Strings that look like numbers, ids or epochs but aren't quite. */
const oddString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.constantFrom('', ' ', 'NaN', 'Infinity', '-Infinity', '-1', '1e309', '0x10', '1.5', '9007199254740993', 'null', 'undefined', 'true', '__proto__', 'constructor', '\u0000', '\ud800', 'ｆｅｅｄ', 'fuzz-ws-1 ', 'FUZZ-WS-1', '-a', 'a'.repeat(65), 'x'.repeat(5000)),
  fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,63}$/),
);

/** Any JSON-ish value a field could hold: wrong types, huge and negative numbers, nesting. */
const oddValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: oddString },
  { weight: 2, arbitrary: fc.integer() },
  { weight: 2, arbitrary: fc.constantFrom(0, -1, 1, 2, 3, 2 ** 53, 2 ** 53 - 1, -(2 ** 53), 1e308, -1e308, 1.5, 0.1, Number.MIN_VALUE) },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(null, true, false) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

const feedValue = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...FEEDS) }, { weight: 3, arbitrary: oddString }, { weight: 1, arbitrary: oddValue });
const typeValue = fc.oneof({ weight: 6, arbitrary: fc.constantFrom('subscribe', 'unsubscribe', 'resume', 'publish', 'ping', 'Subscribe', 'subscribe ') }, { weight: 1, arbitrary: oddValue });
const sinceValue = fc.oneof({ weight: 3, arbitrary: fc.nat({ max: 20 }) }, { weight: 3, arbitrary: oddValue });

/** A frame-shaped object: the known fields with right or wrong values, some left out, some added. */
const frameObject = fc.record(
  {
    type: typeValue,
    feed: feedValue,
    since: sinceValue,
    epoch: oddValue,
    extra: fc.dictionary(fc.string({ maxLength: 12 }), oddValue, { maxKeys: 3 }),
  },
  { requiredKeys: [] },
).map(({ extra, ...known }) => ({ ...extra, ...known }));

/** A subscribe that parses, or nearly: a real feed, a cursor around the feed's head, the real epoch or another. */
const nearlyValidSubscribe = fc.record(
  {
    type: fc.constant('subscribe'),
    feed: fc.oneof({ weight: 5, arbitrary: fc.constantFrom(...FEEDS) }, { weight: 1, arbitrary: fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,63}$/) }),
    since: fc.oneof({ weight: 12, arbitrary: fc.nat({ max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(null, 5, 2 ** 53 - 1, 1e6) }, { weight: 1, arbitrary: oddValue }),
    epoch: fc.oneof({ weight: 4, arbitrary: fc.constant(REAL_EPOCH) }, { weight: 1, arbitrary: fc.string({ minLength: 1, maxLength: 64 }) }, { weight: 1, arbitrary: oddValue }),
  },
  { requiredKeys: ['type', 'feed'] },
);

/** Frames as sent: REAL_EPOCH stands for the epoch of the fuzz feeds. */
const fuzzFrame: fc.Arbitrary<FuzzFrame> = fc.oneof(
  { weight: 8, arbitrary: frameObject.map((o): FuzzFrame => ({ kind: 'text', text: JSON.stringify(o) })) },
  { weight: 4, arbitrary: nearlyValidSubscribe.map((o): FuzzFrame => ({ kind: 'text', text: JSON.stringify(o) })) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((text): FuzzFrame => ({ kind: 'text', text })) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((text): FuzzFrame => ({ kind: 'text', text })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes): FuzzFrame => ({ kind: 'binary', bytes })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 200 }).map((bytes): FuzzFrame => ({ kind: 'raw-text', bytes })) },
  // Around and over the 4 KiB limit, valid-looking frames padded with a long field.
  { weight: 1, arbitrary: fc.tuple(frameObject, fc.integer({ min: 3900, max: 9000 })).map(([o, n]): FuzzFrame => ({ kind: 'text', text: JSON.stringify({ ...o, pad: 'p'.repeat(n) }) })) },
);

function byteLength(f: FuzzFrame): number {
  return f.kind === 'text' ? Buffer.byteLength(f.text) : f.bytes.length;
}

/** A fuzz connection: frames queue up until the test takes them; the close code when it closes. */
class Conn {
  readonly frames: Frame[] = [];
  closeCode: number | null = null;
  private wake: (() => void) | null = null;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.frames.push(JSON.parse(data.toString()) as Frame);
      this.wake?.();
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.wake?.();
    });
    ws.on('error', () => this.wake?.()); // a close follows; the code is what the test checks
  }

  static async open(url: string): Promise<Conn> {
    const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/v1/ws`);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new Conn(ws);
  }

  /** The next frame that is not an event (replays of a subscribe may come first), or the close code. */
  async answer(timeoutMs: number): Promise<Frame | number> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex((f) => f.type !== 'event');
      if (i >= 0) return this.frames.splice(0, i + 1)[i] as Frame;
      this.frames.length = 0;
      if (this.closeCode !== null) return this.closeCode;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('no answer to the frame (hang)');
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  send(f: FuzzFrame): void {
    if (f.kind === 'text') this.ws.send(f.text);
    else this.ws.send(Buffer.from(f.bytes), { binary: f.kind === 'binary' });
  }

  async close(): Promise<void> {
    if (this.closeCode !== null) return;
    const closed = new Promise<void>((resolve) => this.ws.once('close', () => resolve()));
    this.ws.close();
    await closed;
  }
}

function withRealEpoch(f: FuzzFrame, epochs: ReadonlyMap<string, string>): FuzzFrame {
  if (f.kind !== 'text' || !f.text.includes(REAL_EPOCH)) return f;
  let feed: unknown;
  try {
    const parsed: unknown = JSON.parse(f.text);
    feed = typeof parsed === 'object' && parsed !== null && 'feed' in parsed ? parsed.feed : undefined;
  } catch (err) {
    if (!(err instanceof SyntaxError)) throw err;
  }
  const epoch = (typeof feed === 'string' ? epochs.get(feed) : undefined) ?? epochs.get(FEEDS[0] ?? '') ?? '';
  return { kind: 'text', text: f.text.split(REAL_EPOCH).join(epoch) };
}

/** Why an answer is not the one `f` may get, or null when it is. */
function wrongAnswer(f: FuzzFrame, answer: Frame | number): string | null {
  if (typeof answer === 'number') {
    if (answer === 1009) return byteLength(f) > MAX_FRAME ? null : `closed 1009 for a frame of ${byteLength(f)} bytes`;
    if (answer === 1007) return f.kind === 'raw-text' && !isUtf8(f.bytes) ? null : 'closed 1007 for valid UTF-8';
    return `closed with ${answer}${FRAME_CLOSE_CODES.has(answer) ? '' : ' (not a code a frame may cause)'}`;
  }
  if (byteLength(f) > MAX_FRAME) return `answered ${JSON.stringify(answer)} to a frame over the limit`;
  if (f.kind === 'binary') return answer.type === 'error' && answer.code === 'bad_frame' ? null : `answered ${JSON.stringify(answer)} to a binary frame`;
  const text = f.kind === 'text' ? Buffer.from(f.text).toString('utf8') : Buffer.from(f.bytes).toString('utf8');
  const parsed = parseClientFrame(text);
  if (!parsed.ok) {
    return answer.type === 'error' && answer.code === parsed.code && typeof answer.message === 'string' ? null : `expected error ${parsed.code}, got ${JSON.stringify(answer)}`;
  }
  const { feed } = parsed.frame;
  if (parsed.frame.type === 'unsubscribe') return answer.type === 'unsubscribed' && answer.feed === feed ? null : `expected unsubscribed, got ${JSON.stringify(answer)}`;
  if (answer.feed !== feed) return `answer for another feed: ${JSON.stringify(answer)}`;
  if (answer.type === 'subscribed') return typeof answer.seq === 'number' && typeof answer.epoch === 'string' ? null : `malformed subscribed ${JSON.stringify(answer)}`;
  if (answer.type === 'reset') return null;
  if (answer.type === 'error' && PROTOCOL_ERRORS.has(answer.code as ProtocolErrorCode)) return null;
  return `unexpected answer to a subscribe: ${JSON.stringify(answer)}`;
}

describe('fuzz: WebSocket frames', () => {
  let app: RunningApp;
  const log = recordingLogger();
  const rejections = new RejectionCounter();

  beforeAll(async () => {
    rejections.install();
    app = await startTestApp({
      LIVELINE_FRAMES_PER_SECOND: '100000',
      LIVELINE_SUBSCRIBES_PER_MINUTE: '1000000',
      LIVELINE_MAX_SUBSCRIPTIONS_PER_CONNECTION: '10000',
      LIVELINE_IDLE_HANDSHAKE_MS: '3600000',
    }, { log });
    const http = api(app);
    for (const feed of FEEDS) {
      await http.createFeed(feed);
      for (let i = 0; i < 3; i++) await http.postEntry(feed, `${feed} entry ${i}`);
    }
  });

  afterAll(async () => {
    await app.close();
    rejections.uninstall();
  });

  it(`answers ${FUZZ_RUNS} arbitrary frames with defined answers and keeps delivering`, async () => {
    expect(rejections.installed()).toBe(true);
    const control = await TestReader.connect(app.url);
    await control.subscribe('fuzz-ws-control');
    const http = api(app);
    const epochs = new Map<string, string>();
    for (const feed of FEEDS) epochs.set(feed, ((await http.get(`/v1/feeds/${feed}`)).body as { epoch: string }).epoch);
    let conn = await Conn.open(app.url);
    const counts = { cases: 0, errorFrames: 0, subscribed: 0, unsubscribed: 0, closes: 0, reconnects: 0 };
    let delivered = 0;
    const resets = new Map<string, number>();

    const seed = fuzzSeed(0x5eed01);
    const started = Date.now();

    await fc.assert(
      fc.asyncProperty(fuzzFrame, async (generated) => {
        const f = withRealEpoch(generated, epochs);
        if (conn.closeCode !== null) {
          conn = await Conn.open(app.url);
          counts.reconnects += 1;
        }
        counts.cases += 1;
        conn.send(f);
        const answer = await conn.answer(5000);
        const wrong = wrongAnswer(f, answer);
        if (wrong !== null) throw new Error(wrong);
        if (typeof answer === 'number') counts.closes += 1;
        else if (answer.type === 'error') counts.errorFrames += 1;
        else if (answer.type === 'subscribed') counts.subscribed += 1;
        else if (answer.type === 'reset') resets.set(String(answer.reason), (resets.get(String(answer.reason)) ?? 0) + 1);
        else counts.unsubscribed += 1;
        // Now and then, the reader who has been subscribed all along still gets what is posted.
        if (counts.cases % 2500 === 0) {
          const { seq } = await http.postEntry('fuzz-ws-control', `after ${counts.cases} fuzz frames`);
          expect(await control.next((fr) => fr.type === 'event' && fr.seq === seq)).toMatchObject({ event: 'entry.created' });
          delivered += 1;
        }
      }),
      { seed, numRuns: FUZZ_RUNS, endOnFailure: true },
    );

    const { seq } = await http.postEntry('fuzz-ws-control', 'after all the fuzz frames');
    expect(await control.next((fr) => fr.type === 'event' && fr.seq === seq)).toMatchObject({ event: 'entry.created' });
    delivered += 1;
    expect((await http.get('/healthz')).status).toBe(200);
    await conn.close();
    await control.close();
    await new Promise<void>((resolve) => setImmediate(resolve));

    report('websocket frames', {
      cases: counts.cases,
      seed: `${seed} (replay: FUZZ_SEED=${seed})`,
      'error frames': counts.errorFrames,
      subscribed: counts.subscribed,
      resets: JSON.stringify(Object.fromEntries(resets)),
      unsubscribed: counts.unsubscribed,
      'closes (1007/1009)': counts.closes,
      'control deliveries': delivered,
      'unhandled rejections': rejections.reasons.length,
      'socket errors logged (client-caused 1007/1009)': log.errors.filter((e) => e.msg === 'reader socket').length,
      ms: Date.now() - started,
    });
    expect(counts.cases).toBeGreaterThanOrEqual(FUZZ_RUNS);
    expect(rejections.reasons).toEqual([]);
    expect(log.errors.filter((e) => e.msg !== 'reader socket')).toEqual([]);
  }, 120_000);
});
