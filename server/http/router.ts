import { Router } from 'express';

/**
 * Every route matches exactly as written: case-sensitively and without a trailing slash,
 * so a path a balancer rule relies on can't be reached under another spelling.
 */
export function exactRouter(): Router {
  return Router({ caseSensitive: true, strict: true });
}
