import { createServer, request, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * An HTTP reverse proxy on loopback that can refuse WebSocket upgrades, as some
 * corporate proxies do: plain requests (and SSE streams) pass through; upgrades are
 * tunnelled while `allowUpgrades` is true and answered 403 otherwise.
 */
export class UpgradeProxy {
  allowUpgrades = true;
  private readonly tunnels = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number) {}

  static async start(targetPort: number): Promise<UpgradeProxy> {
    let proxy: UpgradeProxy | null = null;
    const server = createServer((req, res) => {
      const upstream = request({ host: '127.0.0.1', port: targetPort, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', () => res.destroy());
      res.on('close', () => upstream.destroy());
      req.pipe(upstream);
    });
    server.on('upgrade', (req, client: Socket, head: Buffer) => {
      if (proxy === null || !proxy.allowUpgrades) {
        client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return;
      }
      const upstream = connect(targetPort, '127.0.0.1', () => {
        const lines = [`${req.method} ${req.url} HTTP/1.1`];
        for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
        upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
        upstream.write(head);
        client.pipe(upstream).pipe(client);
      });
      proxy.tunnels.add(client);
      client.on('close', () => {
        proxy?.tunnels.delete(client);
        upstream.destroy();
      });
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new UpgradeProxy(server, typeof address === 'object' && address !== null ? address.port : 0);
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Cuts every tunnelled WebSocket, as a proxy restart would. */
  dropUpgraded(): void {
    for (const s of this.tunnels) s.destroy();
  }

  async close(): Promise<void> {
    this.dropUpgraded();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
