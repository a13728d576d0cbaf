/**
 * The routes an express app or router really serves, and the operations a document
 * describes, both as `METHOD /path/{param}`, so the two can be compared.
 */
import type { HttpMethod, OpenApiDocument } from './types';

interface RouteLike {
  readonly path: unknown;
  readonly methods: Readonly<Record<string, boolean | undefined>>;
}

interface LayerLike {
  readonly route?: RouteLike;
  readonly handle?: unknown;
  readonly slash?: boolean;
  readonly rawPath?: unknown;
}

const isObject = (v: unknown): v is object => (typeof v === 'object' || typeof v === 'function') && v !== null;

/** The layer stack of an express app (its lazily made router) or of a Router; null for a plain middleware. */
function stackOf(handler: unknown): readonly LayerLike[] | null {
  if (!isObject(handler)) return null;
  const router = 'router' in handler && isObject(handler.router) ? handler.router : handler;
  return 'stack' in router && Array.isArray(router.stack) ? (router.stack as LayerLike[]) : null;
}

/** express's `:param` as OpenAPI's `{param}`. */
export const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

/**
 * Every route of an express app or router, mounted routers included: `GET /v1/feeds/{feedId}`.
 * A route whose path is not a plain string (a RegExp, an array) is listed as it prints,
 * so it shows up as undocumented rather than vanishing.
 */
export function listRoutes(handler: unknown, prefix = ''): string[] {
  const routes: string[] = [];
  for (const layer of stackOf(handler) ?? []) {
    if (layer.route !== undefined) {
      const path = typeof layer.route.path === 'string' ? toOpenApiPath(prefix + layer.route.path) : `${prefix}${String(layer.route.path)}`;
      for (const [method, on] of Object.entries(layer.route.methods)) {
        if (on === true) routes.push(`${method === '_all' ? 'ALL' : method.toUpperCase()} ${path}`);
      }
    } else if (stackOf(layer.handle) !== null) {
      const mount = layer.slash === true || typeof layer.rawPath !== 'string' ? '' : layer.rawPath;
      routes.push(...listRoutes(layer.handle, prefix + mount));
    }
  }
  return routes;
}

const METHODS: readonly HttpMethod[] = ['get', 'post', 'put', 'patch', 'delete'];

/** Every operation the document describes: `GET /v1/feeds/{feedId}`. */
export function documentedRoutes(doc: OpenApiDocument): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => METHODS.filter((m) => item[m] !== undefined).map((m) => `${m.toUpperCase()} ${path}`));
}
