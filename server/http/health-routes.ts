import { Router } from 'express';

/** `/healthz`: the process answers. `/readyz`: 200 only when `isReady` says the node can deliver. */
export function healthRoutes(isReady: () => Promise<boolean>): Router {
  const r = Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get('/readyz', async (_req, res) => {
    const ready = await isReady().catch(() => false);
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'unavailable' });
  });
  return r;
}
