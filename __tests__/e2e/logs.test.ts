import { WebSocket } from 'ws';
import { NodeProcess } from '../helpers/node-process';

/** Logs as an operator reads them: JSON lines with request ids, and never a secret. */
describe('structured logs', () => {
  it('writes one JSON line per request with its id, and never a token', async () => {
    const token = 'log-secret-token-0123456789abcdef';
    const wrong = 'wrong-secret-token-0123456789abc';
    const node = await NodeProcess.start({ LIVELINE_EDITOR_TOKENS: `desk:${token}`, LIVELINE_DRAIN_MS: '0' });
    try {
      const post = (bearer: string, body: unknown, headers: Record<string, string> = {}) => fetch(`${node.url}/v1/feeds`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/json', ...headers },
        body: JSON.stringify(body),
      });
      const created = await post(token, { id: 'logged', title: 'Logged' }, { 'X-Request-Id': 'desk-req-42' });
      expect(created.status).toBe(201);
      expect(created.headers.get('x-request-id')).toBe('desk-req-42');
      expect((await post(wrong, { title: 'nope' })).status).toBe(401);
      const generated = (await fetch(`${node.url}/v1/feeds/logged`)).headers.get('x-request-id');
      expect(generated).toMatch(/^[A-Za-z0-9_-]{12}$/);
    } finally {
      expect(await node.stop('SIGTERM')).toBe(0);
    }
    const out = node.output();
    // The start-up banner prints nothing secret here (tokens were configured, not generated).
    expect(out).not.toContain(token);
    expect(out).not.toContain(wrong);
    const lines = out.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === 'request');
    expect(requests).toContainEqual(expect.objectContaining({ reqId: 'desk-req-42', method: 'POST', route: '/v1/feeds', status: 201 }));
    expect(requests).toContainEqual(expect.objectContaining({ method: 'POST', route: '/v1/feeds', status: 401 }));
    expect(lines.some((l) => l.msg === 'shutting down')).toBe(true);
    for (const l of lines) expect(l).toMatchObject({ level: expect.any(Number), time: expect.any(Number), service: 'liveline' });
  });

  it('logs what a client\'s broken frames cause at warn, not error', async () => {
    const node = await NodeProcess.start({ LIVELINE_EDITOR_TOKENS: `desk:${'t'.repeat(32)}`, LIVELINE_DRAIN_MS: '0' });
    try {
      const ws = new WebSocket(`${node.url.replace('http', 'ws')}/v1/ws`);
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
      ws.send(Buffer.from([0xc3, 0x28]), { binary: false }); // a text frame that isn't UTF-8
      expect(await closed).toBe(1007);
    } finally {
      expect(await node.stop('SIGTERM')).toBe(0);
    }
    const lines = node.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
    const socket = lines.filter((l) => l.msg === 'reader socket');
    expect(socket).toEqual([expect.objectContaining({ level: 40 })]);
  });
});
