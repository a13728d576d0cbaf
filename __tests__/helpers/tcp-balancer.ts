import { createConnection, createServer, type Server, type Socket } from 'node:net';

/**
 * A tiny round-robin TCP load balancer on loopback, standing in for haproxy/nginx in
 * tests: each new connection goes to the next backend that accepts it, so when a node
 * dies its readers' reconnects land on the others.
 */
export class TcpBalancer {
  private next = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server, readonly port: number, private readonly backends: () => readonly number[]) {}

  static async start(backends: () => readonly number[]): Promise<TcpBalancer> {
    let balancer: TcpBalancer | null = null;
    const server = createServer((client) => balancer?.route(client));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    balancer = new TcpBalancer(server, typeof address === 'object' && address !== null ? address.port : 0, backends);
    return balancer;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private route(client: Socket, tried = 0): void {
    const ports = this.backends();
    if (tried >= ports.length) {
      client.destroy();
      return;
    }
    const port = ports[this.next++ % ports.length] as number;
    const upstream = createConnection({ host: '127.0.0.1', port });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      this.track(client);
      this.track(upstream);
      client.pipe(upstream).pipe(client);
    });
    upstream.once('error', () => {
      if (connected) client.destroy();
      else this.route(client, tried + 1); // that node is down: try the next one
    });
    client.once('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => {
      if (connected) client.destroy();
    });
  }

  private track(s: Socket): void {
    this.sockets.add(s);
    s.once('close', () => this.sockets.delete(s));
  }
}
