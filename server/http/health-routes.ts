import type { Router } from 'express';
import { exactRouter } from './router';

/**
 * `/healthz`: the process answers. `/readyz`: 200 only while the node can deliver (the
 * readiness monitor's last verdict; 503 while draining). Metrics are not here: they have
 * their own listener (metrics-server.ts), never the public port.
 */
export function healthRoutes(isReady: () => boolean): Router {
  const r = exactRouter();
  r.get('/healthz', (_req, res) => {
    // Readable from any page: the SDK asks it whether plain HTTP works when WebSockets don't.
    res.set('Access-Control-Allow-Origin', '*').json({ status: 'ok' });
  });
  r.get('/readyz', (_req, res) => {
    const ready = isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  return r;
}
