import type { IncomingMessage } from 'node:http';
import { AuthThrottle } from '../../server/http/auth-throttle';
import { AppError } from '../../server/errors';
import { createMetrics, type Metrics } from '../../server/metrics';

/** The parts of a request clientKey reads. */
function request(remoteAddress: string, forwardedFor?: string): IncomingMessage {
  const req = { headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor }, socket: { remoteAddress } };
  return req as unknown as IncomingMessage;
}

class Headers {
  readonly values = new Map<string, string>();
  set(field: string, value: string): this {
    this.values.set(field, value);
    return this;
  }
}

async function counter(metrics: Metrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await metrics.registry.getMetricsAsJSON()).find((m) => m.name === name);
  const value = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return Number(value?.value ?? 0);
}

function refusal(fn: () => unknown): AppError | null {
  try {
    fn();
    return null;
  } catch (err) {
    if (err instanceof AppError) return err;
    throw err;
  }
}

describe('AuthThrottle', () => {
  let clock: number;
  let metrics: Metrics;
  const throttle = (failuresPerMinute: number, trustProxy = false) => new AuthThrottle({ failuresPerMinute, trustProxy, metrics, now: () => clock });

  beforeEach(() => {
    clock = Date.now();
    metrics = createMetrics();
  });

  it('refuses an address once it has used its failures, with Retry-After, and counts both', async () => {
    const t = throttle(5);
    const guesser = request('192.0.2.1');
    for (let i = 0; i < 5; i++) t.failed(t.admit(guesser, new Headers()));
    const headers = new Headers();
    const refused = refusal(() => t.admit(guesser, headers));
    expect(refused).toMatchObject({ code: 'too_many_auth_failures', status: 429 });
    expect(headers.values.get('Retry-After')).toBe('12'); // one more try every 60/5 s
    expect(t.admit(request('192.0.2.2'), new Headers())).toBe('192.0.2.2'); // others are unaffected
    expect(await counter(metrics, 'liveline_auth_failures_total')).toBe(5);
    expect(await counter(metrics, 'liveline_refused_total', { limit: 'auth_failures' })).toBe(1);
  });

  it('lets the address try again as the bucket refills, one failure at a time', () => {
    const t = throttle(5);
    const guesser = request('192.0.2.1');
    for (let i = 0; i < 5; i++) t.failed(t.admit(guesser, new Headers()));
    clock += 11_000;
    expect(refusal(() => t.admit(guesser, new Headers()))?.code).toBe('too_many_auth_failures');
    clock += 1_000;
    t.failed(t.admit(guesser, new Headers()));
    expect(refusal(() => t.admit(guesser, new Headers()))?.code).toBe('too_many_auth_failures');
    clock += 60_000;
    expect(t.admit(guesser, new Headers())).toBe('192.0.2.1');
  });

  it('counts the rightmost X-Forwarded-For address when the proxy is trusted, IPv6 per /64', () => {
    const t = throttle(1, true);
    t.failed(t.admit(request('10.0.0.1', '198.51.100.1, 203.0.113.9'), new Headers()));
    expect(refusal(() => t.admit(request('10.0.0.2', '203.0.113.9'), new Headers()))?.code).toBe('too_many_auth_failures');
    expect(t.admit(request('10.0.0.1', '203.0.113.9, 198.51.100.1'), new Headers())).toBe('198.51.100.1');
    t.failed(t.admit(request('10.0.0.1', '2001:db8:1:2::1'), new Headers()));
    expect(refusal(() => t.admit(request('10.0.0.1', '2001:db8:1:2:ffff::7'), new Headers()))?.code).toBe('too_many_auth_failures');
    // Not trusted: the socket's peer, whatever the header says.
    const direct = throttle(1, false);
    direct.failed(direct.admit(request('10.0.0.1', '203.0.113.9'), new Headers()));
    expect(direct.admit(request('10.0.0.2', '203.0.113.9'), new Headers())).toBe('10.0.0.2');
  });

  it('holds nothing for addresses that never fail, and forgets the others once their minute has passed', () => {
    const t = throttle(5);
    for (let i = 0; i < 1000; i++) t.admit(request(`198.51.100.${i % 250}`), new Headers());
    expect(t.tracked).toBe(0);
    for (let i = 0; i < 1000; i++) t.failed(`203.0.${Math.floor(i / 250)}.${i % 250}`);
    expect(t.tracked).toBe(1000);
    clock += 61_000;
    t.failed('192.0.2.200'); // the next failure sweeps full buckets away
    expect(t.tracked).toBe(1);
  });
});
