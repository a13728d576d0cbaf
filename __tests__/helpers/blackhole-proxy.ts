import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy on loopback that can make its current connections go silently deaf: bytes
 * from the server stop reaching the client, yet nothing is closed. That is what a
 * half-open connection or a broken middlebox looks like to a client; only an end-to-end
 * probe notices. New connections pass normally.
 */
export class BlackholeProxy {
  private readonly open = new Set<{ client: Socket; deaf: boolean }>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(targetPort: number): Promise<BlackholeProxy> {
    let proxy: BlackholeProxy | null = null;
    const server = createServer((client) => {
      const conn = { client, deaf: false };
      proxy?.open.add(conn);
      const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        if (!conn.deaf) client.write(chunk);
      });
      const end = (): void => {
        proxy?.open.delete(conn);
        client.destroy();
        upstream.destroy();
      };
      client.on('close', end);
      upstream.on('close', end);
      client.on('error', end);
      upstream.on('error', end);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new BlackholeProxy(server, typeof address === 'object' && address !== null ? address.port : 0);
    return proxy;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Every connection open now stops receiving; it stays open. */
  deafen(): void {
    for (const c of this.open) c.deaf = true;
  }

  async close(): Promise<void> {
    for (const c of this.open) c.client.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
