import { Router } from 'express';
import type { Registry } from 'prom-client';

/**
 * `/healthz`: the process answers. `/readyz`: 200 only while the node can deliver (the
 * readiness monitor's last verdict; 503 while draining). `/metrics`: Prometheus text.
 */
export function healthRoutes(isReady: () => boolean, registry: Registry): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    // Readable from any page: the SDK asks it whether plain HTTP works when WebSockets don't.
    res.set('Access-Control-Allow-Origin', '*').json({ status: 'ok' });
  });
  r.get('/readyz', (_req, res) => {
    const ready = isReady();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  r.get('/metrics', async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });
  return r;
}
