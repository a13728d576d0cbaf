// Our two TCP middlemen on loopback: the round-robin balancer in front of the nodes, and the
// proxy in front of Redis that can delay, black-hole (hold every byte, as a partition does,
// until it heals) or cut its connections.
import net from 'node:net';

/** @param {net.Server} server @returns {Promise<number>} */
const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

/** Each new connection goes to the next backend port that accepts it. @param {() => number[]} backends */
export async function startBalancer(backends) {
  const sockets = new Set();
  let next = 0;
  const track = (s) => { sockets.add(s); s.once('close', () => sockets.delete(s)); };
  const route = (client, tried = 0) => {
    const ports = backends();
    if (tried >= ports.length) return client.destroy();
    const upstream = net.createConnection({ host: '127.0.0.1', port: ports[next++ % ports.length] });
    let connected = false;
    upstream.once('connect', () => {
      connected = true;
      track(client);
      track(upstream);
      client.pipe(upstream).pipe(client);
    });
    upstream.on('error', () => (connected ? client.destroy() : route(client, tried + 1)));
    client.on('error', () => upstream.destroy());
    client.once('close', () => upstream.destroy());
    upstream.once('close', () => connected && client.destroy());
  };
  const server = net.createServer((c) => route(c));
  const port = await listen(server);
  return {
    port, url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => { for (const s of sockets) s.destroy(); server.close(() => resolve()); }),
  };
}

/** A proxy to 127.0.0.1:targetPort with faults. @param {number} targetPort */
export async function startFaultProxy(targetPort) {
  const conns = new Set();
  const state = { delayMs: 0, holding: false };
  const server = net.createServer((client) => {
    const upstream = net.createConnection({ host: '127.0.0.1', port: targetPort });
    const conn = { client, upstream, held: [] };
    conns.add(conn);
    const pipe = (from, to) => {
      let chain = Promise.resolve();
      from.on('data', (chunk) => {
        if (state.holding) return void conn.held.push([to, chunk]);
        const until = Date.now() + state.delayMs;
        chain = chain.then(() => new Promise((r) => setTimeout(r, Math.max(0, until - Date.now())))).then(() => to.destroyed || to.write(chunk));
      });
    };
    pipe(client, upstream);
    pipe(upstream, client);
    const end = () => { conns.delete(conn); client.destroy(); upstream.destroy(); };
    for (const s of [client, upstream]) { s.on('close', end); s.on('error', end); }
  });
  const port = await listen(server);
  return {
    port, url: `redis://127.0.0.1:${port}`,
    /** @param {number} ms every byte from now on arrives `ms` late */
    delay(ms) { state.delayMs = ms; },
    /** Every byte, either way, is held (nothing closes) until heal(). */
    blackhole() { state.holding = true; },
    /** Back to normal: held bytes go through, in order; no delay. */
    heal() {
      state.holding = false;
      state.delayMs = 0;
      for (const c of conns) for (const [to, chunk] of c.held.splice(0)) if (!to.destroyed) to.write(chunk);
    },
    /** Every open connection is reset; new ones pass. */
    cut() { for (const c of conns) { c.client.resetAndDestroy(); c.upstream.destroy(); } },
    close: () => new Promise((resolve) => { for (const c of conns) { c.client.destroy(); c.upstream.destroy(); } server.close(() => resolve()); }),
  };
}
