/**
 * Every component schema, by name: the domain, request and response bodies, reader
 * frames, errors. `SchemaName` (refs.ts) must name exactly these.
 */
import { BODY_SCHEMAS } from './body-schemas';
import { DOMAIN_SCHEMAS } from './domain-schemas';
import { ERROR_SCHEMAS } from './errors';
import { FRAME_SCHEMAS } from './frame-schemas';
import type { SchemaName } from './refs';
import type { Schema } from './types';

export const SCHEMAS: Readonly<Record<SchemaName, Schema>> = {
  ...DOMAIN_SCHEMAS,
  ...BODY_SCHEMAS,
  ...FRAME_SCHEMAS,
  ...ERROR_SCHEMAS,
};
