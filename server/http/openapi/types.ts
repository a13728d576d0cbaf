/**
 * The parts of the OpenAPI 3.1 object model this document uses, typed so the document is
 * checked data rather than a string. Schemas are JSON Schema 2020-12 (OpenAPI 3.1's dialect).
 */

export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue };

/** Specification extensions (`x-…`) carry plain JSON. */
type Extensions = { readonly [key: `x-${string}`]: JsonValue };

export interface Reference {
  readonly $ref: string;
  readonly description?: string;
}

export type JsonType = 'string' | 'integer' | 'number' | 'boolean' | 'object' | 'array' | 'null';

export interface Schema {
  readonly $ref?: string;
  readonly title?: string;
  readonly description?: string;
  readonly type?: JsonType | readonly JsonType[];
  readonly format?: string;
  readonly pattern?: string;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minItems?: number;
  readonly maxItems?: number;
  readonly enum?: readonly JsonValue[];
  readonly const?: JsonValue;
  readonly default?: JsonValue;
  readonly properties?: { readonly [name: string]: Schema };
  readonly required?: readonly string[];
  readonly additionalProperties?: boolean | Schema;
  readonly minProperties?: number;
  readonly dependentSchemas?: { readonly [name: string]: Schema };
  readonly items?: Schema;
  readonly allOf?: readonly Schema[];
  readonly oneOf?: readonly Schema[];
  readonly anyOf?: readonly Schema[];
  readonly not?: Schema;
  readonly contentMediaType?: string;
  readonly readOnly?: boolean;
  /** JSON Schema 2020-12 examples: each must validate against this schema (the test checks). */
  readonly examples?: readonly JsonValue[];
}

export interface Example {
  readonly summary?: string;
  readonly description?: string;
  readonly value: JsonValue;
}

export interface MediaType {
  readonly schema: Schema;
  readonly example?: JsonValue;
  readonly examples?: { readonly [name: string]: Example | Reference };
}

export interface Header {
  readonly description: string;
  readonly required?: boolean;
  readonly schema: Schema;
  readonly example?: JsonValue;
}

export interface Parameter {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly description: string;
  readonly required?: boolean;
  readonly schema: Schema;
  readonly example?: JsonValue;
}

export interface RequestBody {
  readonly description?: string;
  readonly required: boolean;
  readonly content: { readonly [mediaType: string]: MediaType };
}

export interface Response {
  readonly description: string;
  readonly headers?: { readonly [name: string]: Header | Reference };
  readonly content?: { readonly [mediaType: string]: MediaType };
}

export type Responses = { readonly [status: string]: Response | Reference };

export type SecurityRequirement = { readonly [scheme: string]: readonly string[] };

export type Operation = Extensions & {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly security?: readonly SecurityRequirement[];
  readonly parameters?: readonly (Parameter | Reference)[];
  readonly requestBody?: RequestBody;
  readonly responses: Responses;
};

export type HttpMethod = 'get' | 'post' | 'put' | 'patch' | 'delete';

export type PathItem = { readonly [M in HttpMethod]?: Operation } & {
  readonly parameters?: readonly (Parameter | Reference)[];
};

export type Paths = { readonly [path: string]: PathItem };

export interface SecurityScheme {
  readonly type: 'http';
  readonly scheme: 'bearer';
  readonly description: string;
}

export interface Components {
  readonly schemas: { readonly [name: string]: Schema };
  readonly parameters: { readonly [name: string]: Parameter };
  readonly headers: { readonly [name: string]: Header };
  readonly examples: { readonly [name: string]: Example };
  readonly securitySchemes: { readonly [name: string]: SecurityScheme };
}

export interface Tag {
  readonly name: string;
  readonly description: string;
}

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly jsonSchemaDialect: string;
  readonly info: {
    readonly title: string;
    readonly version: string;
    readonly summary?: string;
    readonly description: string;
    readonly license: { readonly name: string; readonly identifier: string };
  };
  readonly tags: readonly Tag[];
  readonly paths: Paths;
  readonly components: Components;
}
