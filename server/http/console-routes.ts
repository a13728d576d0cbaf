import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Request, Response, Router } from 'express';
import { AppError } from '../errors';
import { exactRouter } from './router';

/** The console's files besides the page itself (built by scripts/build-console.mjs), with their types. */
export const CONSOLE_FILES: Readonly<Record<string, string>> = {
  'console.js': 'text/javascript; charset=utf-8',
  'console.css': 'text/css; charset=utf-8',
  'widget.css': 'text/css; charset=utf-8',
  'icon.svg': 'image/svg+xml',
};

/** A Host header that can name this server in a CSP source (a host name or IP literal, an optional port). */
const HOST = /^(?:[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;

/**
 * Only the console's own files run and style the page; entries' images may come from any
 * https: server; the page talks to its own origin only (HTTP, and the WebSocket on the
 * same host: 'self' covers ws(s) in CSP 3 browsers, the explicit sources cover older ones).
 * Nothing may frame it (clickjacking an editor's session).
 */
export function consolePolicy(host: string | undefined): string {
  const sockets = host !== undefined && HOST.test(host) ? ` ws://${host} wss://${host}` : '';
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' https:",
    `connect-src 'self'${sockets}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

interface Built {
  readonly body: Buffer;
  readonly etag: string;
}

/**
 * The editor console at `/editor`: the page and its files, built into `dir`, each under its
 * exact path (no directory listing, nothing else under /editor/), with a strict
 * Content-Security-Policy, no framing and no referrer. Revalidated on every load
 * (`no-cache` + ETag), so a deploy's new console is picked up at once.
 */
export function editorConsoleRoutes(dir: string): Router {
  const r = exactRouter();
  const built = new Map<string, Built>();

  const load = async (file: string): Promise<Built> => {
    const cached = built.get(file);
    if (cached !== undefined) return cached;
    const body = await readFile(join(dir, file)).catch((err: unknown) => {
      throw new AppError('unavailable', `the editor console is not built (${String(err)}); run: npm run build`);
    });
    const entry = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
    built.set(file, entry);
    return entry;
  };

  const send = async (req: Request, res: Response, file: string, type: string): Promise<void> => {
    const { body, etag } = await load(file);
    res.set({
      'Content-Type': type,
      'Cache-Control': 'no-cache',
      ETag: etag,
      'Content-Security-Policy': consolePolicy(req.get('host')),
      'X-Frame-Options': 'DENY',
      'Referrer-Policy': 'no-referrer',
      'X-Content-Type-Options': 'nosniff',
    });
    const tags = req.get('if-none-match');
    if (tags !== undefined && tags.split(',').some((t) => t.trim().replace(/^W\//, '') === etag || t.trim() === '*')) {
      res.status(304).end();
      return;
    }
    res.send(body);
  };

  r.get('/editor', (req, res) => send(req, res, 'index.html', 'text/html; charset=utf-8'));
  r.get('/editor/:file', (req, res) => {
    const file = req.params.file as string;
    const type = Object.hasOwn(CONSOLE_FILES, file) ? CONSOLE_FILES[file] : undefined;
    if (type === undefined) throw new AppError('route_not_found', `no route for GET ${req.path}`);
    return send(req, res, file, type);
  });
  return r;
}
