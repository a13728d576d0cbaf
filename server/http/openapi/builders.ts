/**
 * Small constructors the path modules share, so each operation reads as what it is:
 * its parameters, its body, its answers. Every operation accepts `X-Request-Id` and every
 * answer carries it back.
 */
import { EDITOR_SECURITY } from './components';
import { headerRef, parameterRef, schemaRef, type SchemaName } from './refs';
import type { Example, Header, MediaType, Operation, Parameter, Reference, RequestBody, Response, Responses, Schema, Tag } from './types';

export const TAGS = [
  { name: 'Readers', description: 'Snapshots, older entries and events since a cursor. No token; CORS for allowed origins; every request is charged to its address\'s reader budget (`429 rate_limited` beyond it).' },
  { name: 'Realtime', description: 'Live delivery: the WebSocket at `/v1/ws` and its Server-Sent Events fallback. Each carries the frames in `ServerFrame`.' },
  { name: 'Editors: feeds', description: 'Creating, listing, changing and auditing feeds. Bearer token; writes count against the editor\'s writes per minute.' },
  { name: 'Editors: entries', description: 'Posting, correcting, pinning and deleting entries, and reading their versions.' },
  { name: 'Editors: scheduled entries', description: 'Entries written ahead of time, kept from readers until their `publishAt`.' },
  { name: 'Operations', description: 'Liveness and readiness probes (metrics have their own listener, never this port).' },
  { name: 'Files', description: 'The client SDK, the demo page, the editor console\'s files and this document.' },
] as const satisfies readonly Tag[];

export type TagName = (typeof TAGS)[number]['name'];

interface OperationSpec {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly parameters?: readonly (Parameter | Reference)[];
  readonly requestBody?: RequestBody;
  readonly responses: Responses;
}

/** An operation anyone may call. */
export function publicOperation(tag: TagName, spec: OperationSpec): Operation {
  return { ...spec, tags: [tag], parameters: [...(spec.parameters ?? []), parameterRef('requestId')] };
}

/** An operation that needs an editor's bearer token. */
export function editorOperation(tag: TagName, spec: OperationSpec): Operation {
  return { ...publicOperation(tag, spec), security: [{ [EDITOR_SECURITY]: [] }] };
}

/** A JSON body: a named schema (its examples live on the schema) or an inline one with named examples. */
export function json(schema: SchemaName | Schema, examples?: Readonly<Record<string, Example>>): { readonly 'application/json': MediaType } {
  return { 'application/json': { schema: typeof schema === 'string' ? schemaRef(schema) : schema, ...(examples !== undefined ? { examples } : {}) } };
}

/** A JSON request body. */
export function jsonBody(schema: SchemaName, description: string): RequestBody {
  return { required: true, description: `${description} \`Content-Type: application/json\` (else \`415\`), at most 256 KiB (else \`413\`).`, content: json(schema) };
}

/** A successful answer; `X-Request-Id` is added to its headers. */
export function answer(description: string, content?: Response['content'], headers: Readonly<Record<string, Header | Reference>> = {}): Response {
  return {
    description,
    headers: { 'X-Request-Id': headerRef('RequestId'), ...headers },
    ...(content !== undefined ? { content } : {}),
  };
}

/** Response headers every reader answer carries (CORS). */
export const READER_HEADERS: Readonly<Record<string, Reference>> = {
  'Access-Control-Allow-Origin': headerRef('AllowOrigin'),
  Vary: headerRef('VaryOrigin'),
};
