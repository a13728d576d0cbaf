import Ajv2020 from 'ajv/dist/2020';
import { ERROR_STATUS, type ErrorCode } from '../../server/errors';
import { openApiDocument } from '../../server/http/openapi';

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

/** The document exactly as served: plain JSON. */
const doc = JSON.parse(JSON.stringify(openApiDocument)) as JsonObject;
const DOC_ID = 'urn:liveline:openapi';
const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];

const isObject = (v: Json | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);
const escape = (token: string): string => token.replace(/~/g, '~0').replace(/\//g, '~1');
const unescape = (token: string): string => token.replace(/~1/g, '/').replace(/~0/g, '~');

/** What a JSON pointer (`#/a/b`) names in the document, or undefined. */
function resolve(ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined;
  let node: Json | undefined = doc;
  for (const token of ref.slice(2).split('/').map(unescape)) {
    if (Array.isArray(node)) node = node[Number(token)];
    else if (isObject(node)) node = node[token];
    else return undefined;
  }
  return node;
}

/** Every node of the document with its JSON pointer. */
function* walk(node: Json, pointer = '#'): Generator<[string, Json]> {
  yield [pointer, node];
  if (Array.isArray(node)) for (const [i, child] of node.entries()) yield* walk(child, `${pointer}/${i}`);
  else if (isObject(node)) for (const [key, child] of Object.entries(node)) yield* walk(child, `${pointer}/${escape(key)}`);
}

/** Follows a `$ref` (components) to what it names. */
const deref = (node: Json | undefined): Json | undefined => (isObject(node) && typeof node.$ref === 'string' ? resolve(node.$ref) : node);

interface OperationAt {
  readonly path: string;
  readonly method: string;
  readonly pointer: string;
  readonly operation: JsonObject;
}

function operations(): OperationAt[] {
  const paths = doc.paths as JsonObject;
  return Object.entries(paths).flatMap(([path, item]) => METHODS
    .filter((method) => isObject((item as JsonObject)[method]))
    .map((method) => ({ path, method, pointer: `#/paths/${escape(path)}/${method}`, operation: (item as JsonObject)[method] as JsonObject })));
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;

/** Ajv (JSON Schema 2020-12) holding the whole document, so `#/components/...` refs resolve as in OpenAPI. */
function documentAjv(): Ajv2020 {
  const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true, allErrors: true });
  ajv.addFormat('date-time', (s: string) => RFC3339.test(s) && Number.isFinite(Date.parse(s)));
  // The document's own top-level fields are annotations to JSON Schema: only their subschemas are compiled.
  ajv.addVocabulary(Object.keys(doc));
  ajv.addSchema({ ...doc, $id: DOC_ID });
  return ajv;
}

function validationErrors(ajv: Ajv2020, schemaPointer: string, value: Json): string[] {
  const validate = ajv.getSchema(`${DOC_ID}${schemaPointer}`);
  if (validate === undefined) return [`no schema at ${schemaPointer}`];
  if (validate(value)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

describe('the OpenAPI document', () => {
  test('is OpenAPI 3.1 with the essentials in place', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.jsonSchemaDialect).toBe('https://spec.openapis.org/oas/3.1/dialect/base');
    const info = doc.info as JsonObject;
    expect(typeof info.title).toBe('string');
    expect(typeof info.version).toBe('string');
    expect(Object.keys(doc).filter((k) => !['openapi', 'jsonSchemaDialect', 'info', 'tags', 'paths', 'components', 'servers', 'security', 'webhooks', 'externalDocs'].includes(k) && !k.startsWith('x-'))).toEqual([]);
    for (const path of Object.keys(doc.paths as JsonObject)) expect(path).toMatch(/^\/[^?#]*$/);
  });

  test('every $ref resolves', () => {
    const broken = [...walk(doc)]
      .filter(([, node]) => isObject(node) && typeof node.$ref === 'string')
      .map(([pointer, node]) => [pointer, (node as JsonObject).$ref as string])
      .filter(([, ref]) => resolve(ref as string) === undefined);
    expect(broken).toEqual([]);
  });

  test('every operation has a unique id, a declared tag, and a success answer; every response a description', () => {
    const ops = operations();
    const ids = ops.map((o) => o.operation.operationId);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const tags = new Set((doc.tags as JsonObject[]).map((t) => t.name));
    for (const { pointer, operation } of ops) {
      expect([pointer, (operation.tags as Json[]).filter((t) => !tags.has(t))]).toEqual([pointer, []]);
      const responses = operation.responses as JsonObject;
      const statuses = Object.keys(responses);
      expect([pointer, statuses.some((s) => /^[123]\d\d$/.test(s))]).toEqual([pointer, true]);
      for (const s of statuses) {
        expect(s).toMatch(/^[1-5]\d\d$/);
        expect(typeof (deref(responses[s]) as JsonObject).description).toBe('string');
      }
    }
  });

  test('path parameters match each path template, both ways', () => {
    for (const { path, pointer, operation } of operations()) {
      const inTemplate = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]).sort();
      const params = ((operation.parameters ?? []) as Json[]).map(deref) as JsonObject[];
      const declared = params.filter((p) => p.in === 'path');
      expect([pointer, declared.map((p) => p.name).sort()]).toEqual([pointer, inTemplate]);
      for (const p of declared) expect([pointer, p.name, p.required]).toEqual([pointer, p.name, true]);
      const keys = params.map((p) => `${p.in} ${p.name}`);
      expect([pointer, new Set(keys).size]).toEqual([pointer, keys.length]);
    }
  });

  test('editor operations, and only they, need the bearer token and answer 401 unauthorized', () => {
    const schemes = (doc.components as JsonObject).securitySchemes as JsonObject;
    expect(schemes.editorToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    for (const { pointer, operation } of operations()) {
      const isEditor = (operation.tags as string[]).some((t) => t.startsWith('Editors'));
      expect([pointer, operation.security ?? null]).toEqual([pointer, isEditor ? [{ editorToken: [] }] : null]);
      expect([pointer, (operation.responses as JsonObject)['401'] !== undefined]).toEqual([pointer, isEditor]);
    }
  });

  test('every component schema compiles as strict JSON Schema 2020-12', () => {
    const ajv = documentAjv();
    for (const name of Object.keys((doc.components as JsonObject).schemas as JsonObject)) {
      expect(() => ajv.getSchema(`${DOC_ID}#/components/schemas/${name}`)).not.toThrow();
    }
  });

  test('every example validates against its schema', () => {
    const ajv = documentAjv();
    const failures: string[] = [];
    let checked = 0;
    const check = (schemaPointer: string, value: Json, where: string): void => {
      checked += 1;
      for (const e of validationErrors(ajv, schemaPointer, value)) failures.push(`${where}: ${e}`);
    };
    for (const [pointer, node] of walk(doc)) {
      if (!isObject(node)) continue;
      // A schema's own examples (JSON Schema 2020-12: an array).
      if (Array.isArray(node.examples)) node.examples.forEach((value, i) => check(pointer, value, `${pointer}/examples/${i}`));
      // A media type's, parameter's or header's example(s) (OpenAPI: next to `schema`).
      if (isObject(node.schema)) {
        if (node.example !== undefined) check(`${pointer}/schema`, node.example, `${pointer}/example`);
        if (isObject(node.examples)) {
          for (const [name, example] of Object.entries(node.examples)) check(`${pointer}/schema`, (deref(example) as JsonObject).value as Json, `${pointer}/examples/${name}`);
        }
      } else if (node.example !== undefined && !pointer.endsWith('/properties')) {
        failures.push(`${pointer}: \`example\` without a schema next to it (schemas take \`examples: [...]\`)`);
      }
    }
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(60);
  });

  test('every error response names its codes, each with the status the server answers it with', () => {
    // The one 4xx/5xx answer that is not the error shape: a readiness probe's verdict.
    const notErrors = ['#/paths/~1readyz/get 503'];
    const used = new Set<string>();
    for (const { pointer, operation } of operations()) {
      for (const [status, raw] of Object.entries(operation.responses as JsonObject)) {
        const content = (deref(raw) as JsonObject).content as JsonObject | undefined;
        if (Number(status) < 400 || content?.['application/json'] === undefined || notErrors.includes(`${pointer} ${status}`)) continue;
        const media = content['application/json'] as JsonObject;
        const branches = ((media.schema as JsonObject).allOf ?? []) as JsonObject[];
        expect([pointer, status, branches[0]]).toEqual([pointer, status, { $ref: '#/components/schemas/Error' }]);
        const code = ((((branches[1] as JsonObject).properties as JsonObject).error as JsonObject).properties as JsonObject).code as JsonObject;
        const codes = (code.enum ?? [code.const]) as string[];
        expect([pointer, status, codes.filter((c) => String(ERROR_STATUS[c as ErrorCode]) !== status)]).toEqual([pointer, status, []]);
        expect([pointer, status, Object.keys(media.examples as JsonObject).sort()]).toEqual([pointer, status, [...codes].sort()]);
        codes.forEach((c) => used.add(c));
      }
    }
    const catalog = Object.keys(ERROR_STATUS).sort();
    expect([...used].sort()).toEqual(catalog);
    expect(((((doc.components as JsonObject).schemas as JsonObject).ErrorCode as JsonObject).enum as string[]).sort()).toEqual(catalog);
  });
});
