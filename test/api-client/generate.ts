import type { FastifyInstance } from 'fastify';
import openapiTS from 'openapi-typescript';

/** The committed types of the API, generated from the live OpenAPI document. */
export const SCHEMA_TYPES = new URL('./schema.d.ts', import.meta.url);

export const REGENERATE = 'node --import=tsx scripts/openapi.ts --types test/api-client/schema.d.ts';

/** The document the app serves at /docs/json. */
export async function liveDocument(app: FastifyInstance): Promise<Record<string, unknown>> {
  await app.ready();
  return structuredClone(app.swagger()) as Record<string, unknown>;
}

/** The TypeScript types openapi-typescript 6 makes of the document, as committed. */
export async function schemaTypes(doc: Record<string, unknown>): Promise<string> {
  return openapiTS(structuredClone(doc) as unknown as Parameters<typeof openapiTS>[0]);
}

/** The parts of an OpenAPI 3.0 document the tests read. */
export interface SchemaNode {
  type?: string;
  format?: string;
  nullable?: boolean;
  description?: string;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  required?: string[];
  anyOf?: SchemaNode[];
}
type Content = Record<string, { schema?: SchemaNode } | undefined>;
export interface Operation {
  operationId?: string;
  tags?: string[];
  parameters?: { name: string; in: string }[];
  requestBody?: { content?: Content };
  responses: Record<string, { description?: string; content?: Content; headers?: Record<string, unknown> } | undefined>;
}
export interface OpenApiDocument {
  servers?: unknown[];
  tags: { name: string }[];
  paths: Record<string, Record<string, Operation | undefined> | undefined>;
  components: unknown;
}
