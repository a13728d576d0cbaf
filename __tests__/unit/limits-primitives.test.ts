import { createServer, connect, type Socket } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { addressKey, clientKey } from '../../server/client-address';
import { kernelSendQueues, parseTcpTable, socketKey } from '../../server/gateway/kernel-send-queue';
import { StallWatch } from '../../server/gateway/stall-watch';
import { parseAnnouncement } from '../../server/redis/announcement';
import { KeyedBuckets, TokenBucket } from '../../server/token-bucket';

const request = (remoteAddress: string, forwardedFor?: string): IncomingMessage =>
  ({ socket: { remoteAddress }, headers: forwardedFor === undefined ? {} : { 'x-forwarded-for': forwardedFor } }) as unknown as IncomingMessage;

describe('client addresses, as the per-address limits count them', () => {
  it('counts IPv4 as is, IPv4-mapped IPv6 as IPv4, and IPv6 per /64', () => {
    expect(addressKey('203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(addressKey('[2001:db8::1]')).toBe('2001:db8:0:0::/64');
    expect(addressKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
  });

  it('trusts only the address the balancer appended, and only when told to', () => {
    expect(clientKey(request('10.0.0.2', '198.51.100.1, 203.0.113.9'), true)).toBe('203.0.113.9');
    expect(clientKey(request('10.0.0.2', '198.51.100.1, 203.0.113.9'), false)).toBe('10.0.0.2');
    expect(clientKey(request('10.0.0.2', '2001:db8:5:6::9'), true)).toBe('2001:db8:5:6::/64');
    expect(clientKey(request('10.0.0.2'), true)).toBe('10.0.0.2');
  });
});

describe('token buckets', () => {
  it('allows a burst of `capacity`, then `perSecond`', () => {
    const bucket = new TokenBucket({ perSecond: 2, capacity: 4 }, 0);
    expect([1, 2, 3, 4, 5].map(() => bucket.take(0))).toEqual([true, true, true, true, false]);
    expect(bucket.retryAfterSeconds(0)).toBe(1);
    expect(bucket.take(499)).toBe(false);
    expect(bucket.take(500)).toBe(true);
  });

  it('keeps one bucket per key, peeks without taking, and forgets full ones', () => {
    const buckets = new KeyedBuckets({ perSecond: 1, capacity: 1 });
    const t = Date.now();
    expect(buckets.take('a', t)).toBe(true);
    expect(buckets.allows('a', t)).toBe(false);
    expect(buckets.take('a', t)).toBe(false);
    expect(buckets.take('b', t)).toBe(true);
    expect(buckets.allows('never-seen', t)).toBe(true);
    expect(buckets.size).toBe(2);
    buckets.take('c', t + 60_000); // a sweep: a and b are full again
    expect(buckets.size).toBe(1);
  });
});

describe('pub/sub announcements', () => {
  it('accepts only {seq, epoch}', () => {
    expect(parseAnnouncement('{"seq":5,"epoch":"abc"}')).toEqual({ seq: 5, epoch: 'abc' });
    expect(parseAnnouncement('{"feed":"f","seq":5,"epoch":"abc","type":"entry.created","data":{}}')).toEqual({ seq: 5, epoch: 'abc' });
    for (const bad of ['', 'null', '[]', '{"seq":0,"epoch":"e"}', '{"seq":1.5,"epoch":"e"}', '{"seq":"5","epoch":"e"}',
      '{"seq":5}', '{"seq":5,"epoch":""}', `{"seq":5,"epoch":"${'e'.repeat(65)}"}`, 'x'.repeat(300)]) {
      expect(parseAnnouncement(bad)).toBeNull();
    }
  });
});

describe("the kernel's send queue (/proc/net/tcp)", () => {
  it('spells socket ids as the table does', () => {
    expect(socketKey({ localAddress: '127.0.0.1', localPort: 8080, remoteAddress: '127.0.0.1', remotePort: 50000 }))
      .toEqual({ id: '8080 0100007F:C350', v6: false });
    expect(socketKey({ localAddress: '::ffff:127.0.0.1', localPort: 8080, remoteAddress: '::ffff:127.0.0.1', remotePort: 1 }))
      .toEqual({ id: '8080 0000000000000000FFFF00000100007F:0001', v6: true });
    expect(socketKey({ localAddress: '::1', localPort: 80, remoteAddress: '::1', remotePort: 2 }))
      .toEqual({ id: '80 00000000000000000000000001000000:0002', v6: true });
  });

  it('parses tx_queue from the table', () => {
    const table = [
      '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode',
      '   0: 0100007F:1F90 0100007F:C350 01 0001A2B0:00000000 04:00000123 00000000     0        0 12345 1 0 20 4 30 10 -1',
      '   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 999 1',
    ].join('\n');
    expect(parseTcpTable(table)).toEqual([['8080 0100007F:C350', 0x1a2b0], ['8080 00000000:0000', 0]]);
  });

  it("finds a real socket's unread bytes on this machine (Linux)", async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const client = connect(port, '127.0.0.1');
    client.pause(); // never reads: our side's send queue fills
    const socket = await accepted;
    try {
      const chunk = Buffer.alloc(1 << 20);
      for (let i = 0; i < 16 && socket.writableLength === 0; i++) socket.write(chunk);
      // Wait (bounded) until the kernel holds unacknowledged bytes for it.
      let queued = 0;
      for (const deadline = Date.now() + 5000; queued === 0 && Date.now() < deadline;) {
        const queues = await kernelSendQueues([socket]);
        if (queues === null) return; // not Linux: nothing to check
        queued = queues.get(socket) ?? 0;
      }
      expect(queued).toBeGreaterThan(0);
    } finally {
      client.destroy();
      socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('StallWatch', () => {
  const fakeSocket = () => ({ bytesWritten: 0, writableLength: 0 }) as unknown as Socket & { bytesWritten: number; writableLength: number };

  it('closes a socket that drains nothing for stallMs while data waits, and not one that drains', async () => {
    const queue = new Map<Socket, number>();
    const watch = new StallWatch(1000, async () => queue);
    const stuck = fakeSocket();
    const slow = fakeSocket();
    const idle = fakeSocket();
    const stalled: string[] = [];
    watch.watch(stuck, () => stalled.push('stuck'), 0);
    watch.watch(slow, () => stalled.push('slow'), 0);
    watch.watch(idle, () => stalled.push('idle'), 0);
    stuck.bytesWritten = 5000;
    queue.set(stuck, 5000); // all of it still in the kernel
    slow.bytesWritten = 5000;
    queue.set(slow, 4000);
    await watch.check(500);
    queue.set(slow, 3000); // the peer acknowledged 1000 more bytes
    await watch.check(1200);
    expect(stalled).toEqual(['stuck']);
    await watch.check(2100);
    expect(stalled).toEqual(['stuck']); // slow progressed at 1200
    await watch.check(2300);
    expect(stalled).toEqual(['stuck', 'slow']);
    expect(watch.size).toBe(1); // idle: nothing ever waited
  });

  it("counts Node's own buffer when the kernel can't be asked", async () => {
    const watch = new StallWatch(1000, async () => null);
    const s = fakeSocket();
    let stalled = false;
    watch.watch(s, () => {
      stalled = true;
    }, 0);
    s.bytesWritten = 100;
    s.writableLength = 100;
    await watch.check(1500);
    expect(stalled).toBe(true);
  });
});
