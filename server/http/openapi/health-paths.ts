/**
 * Probes (server/http/health-routes.ts). Their answers are not logged.
 */
import { answer, json, publicOperation } from './builders';
import { errors } from './errors';
import { headerRef } from './refs';
import type { Paths } from './types';

export const HEALTH_PATHS: Paths = {
  '/healthz': {
    get: publicOperation('Operations', {
      operationId: 'getHealth',
      summary: 'Liveness: the process answers',
      description: '200 while the process runs. Never restart a node for a failing `/readyz`. Readable from any page (the SDK asks it whether plain HTTP works when WebSockets don\'t).',
      responses: {
        200: answer('The process is up.', json('Health'), { 'Access-Control-Allow-Origin': headerRef('AllowAnyOrigin') }),
        ...errors(),
      },
    }),
  },
  '/readyz': {
    get: publicOperation('Operations', {
      operationId: 'getReadiness',
      summary: 'Readiness: the node can deliver',
      description: '200 only while the store answers and a probe published through the broker comes back to this node (checked every 2 s); 503 otherwise, and from the moment a shutdown starts. Balancers send readers only to ready nodes.',
      responses: {
        200: answer('Ready.', json('Readiness', { ready: { value: { status: 'ready' } } })),
        503: answer('Not ready (this body is not the usual error shape).', json('Readiness', { unavailable: { value: { status: 'unavailable' } } })),
        ...errors(),
      },
    }),
  },
};
