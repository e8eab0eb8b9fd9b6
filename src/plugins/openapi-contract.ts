/**
 * The OpenAPI document as the server behaves, finished after @fastify/swagger has built it from the
 * routes' zod schemas: an operationId from method and route, a description for every status, 204
 * without a body, the headers of versioned resources (ETag, If-Match), the framework's 413 and 415,
 * and `nullable` on the branches of a union (OpenAPI 3.0 ignores it beside `anyOf` without `type`).
 */

type Json = Record<string, unknown>;

const METHODS = ['get', 'put', 'post', 'patch', 'delete', 'head', 'options'] as const;

const pascal = (s: string) =>
  s
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w[0]?.toUpperCase() + w.slice(1))
    .join('');

/** `post /api/v1/grants/{id}/transitions` → `postGrantsByIdTransitions`: stable, and unique as routes are. */
function operationIdFor(method: string, path: string): string {
  const segments = path
    .replace(/^\/api\/v\d+/, '')
    .split('/')
    .filter(Boolean)
    .map((s) => (s.startsWith('{') ? `By${pascal(s.slice(1, -1))}` : pascal(s)));
  return method.toLowerCase() + segments.join('');
}

/** What each error status means in this API; the body is always {statusCode, code, message, fieldErrors?}. */
const ERROR_DESCRIPTIONS: Record<string, string> = {
  '400': 'Invalid input (VALIDATION_FAILED): `fieldErrors` names each field with what is wrong',
  '401': 'No valid API key (UNAUTHENTICATED): send `Authorization: Bearer <key>`',
  '403': 'Your role or municipality may not do this (FORBIDDEN)',
  '404': 'There is no such resource, or none you may see (NOT_FOUND)',
  '409':
    'Conflict: a stale version (STALE_VERSION, with the current record in `current`) or a rule of the domain, named by `code`',
  '413': 'The body or file is too large (PAYLOAD_TOO_LARGE, or UPLOAD_TOO_LARGE for a file)',
  '415': 'The body is not of a media type this operation reads (UNSUPPORTED_MEDIA_TYPE)',
};

function successDescription(method: string, status: string, op: Json): string {
  const summary = typeof op.summary === 'string' ? `: ${op.summary}` : '';
  if (status === '201') return `Created${summary}`;
  if (status === '204') return 'Done; there is no body';
  if (status === '308') return 'Moved permanently: `Location` names the resource that replaced this one';
  return method === 'get' ? `OK${summary}` : `Done; the resource as it is now${summary}`;
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** OpenAPI 3.0 reads `nullable` only beside `type`: move it onto each branch of an anyOf/oneOf. */
function nullableOnBranches(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) nullableOnBranches(item);
    return;
  }
  if (!isObject(node)) return;
  const union = (node.anyOf ?? node.oneOf) as unknown;
  if (node.nullable === true && node.type === undefined && Array.isArray(union)) {
    delete node.nullable;
    for (const branch of union) {
      if (!isObject(branch)) continue;
      branch.nullable = true;
      if (Array.isArray(branch.enum) && !branch.enum.includes(null)) branch.enum = [...branch.enum, null];
    }
  }
  for (const value of Object.values(node)) nullableOnBranches(value);
}

const jsonSchemaOf = (holder: unknown): Json | undefined => {
  const content = isObject(holder) ? holder.content : undefined;
  const media = isObject(content) ? content['application/json'] : undefined;
  return isObject(media) && isObject(media.schema) ? media.schema : undefined;
};

const hasVersion = (schema: Json | undefined) =>
  isObject(schema?.properties) && isObject((schema.properties as Json).version);

const ETAG_HEADER = {
  ETag: {
    description: 'The version of the resource, as `"3"`: send it back in If-Match (or as `version`) to change it',
    schema: { type: 'string' },
  },
};

const IF_MATCH = {
  name: 'If-Match',
  in: 'header',
  required: false,
  description:
    'The ETag you read (`"3"` or `W/"3"`); the same as `version` in the body, which wins when both are sent. A stale version gets 409 STALE_VERSION.',
  schema: { type: 'string' },
};

function finishOperation(path: string, method: string, op: Json, errorRef: Json): void {
  op.operationId ??= operationIdFor(method, path);
  const body = isObject(op.requestBody) ? op.requestBody : undefined;
  const responses = (op.responses ?? {}) as Record<string, Json>;
  op.responses = responses;
  if (body) {
    // Fastify refuses a body over its limit, and this app one of another media type, before any handler.
    responses['413'] ??= { content: { 'application/json': { schema: errorRef } } };
    responses['415'] ??= { content: { 'application/json': { schema: errorRef } } };
  }
  const bodySchema = jsonSchemaOf(body);
  if (hasVersion(bodySchema) && bodySchema) {
    const parameters = (op.parameters ?? []) as Json[];
    if (!parameters.some((p) => p.name === 'If-Match')) op.parameters = [...parameters, IF_MATCH];
    // A PATCH without a version (in the body or If-Match) is refused with 400.
    if (method === 'patch') {
      const required = (bodySchema.required ?? []) as string[];
      if (!required.includes('version')) bodySchema.required = [...required, 'version'];
    }
  }
  for (const [status, response] of Object.entries(responses)) {
    if (status === '204') delete response.content;
    if (!response.description || response.description === 'Default Response') {
      response.description = ERROR_DESCRIPTIONS[status] ?? successDescription(method, status, op);
    }
    if ((status === '200' || status === '201') && hasVersion(jsonSchemaOf(response))) {
      response.headers = { ...ETAG_HEADER, ...(response.headers as Json | undefined) };
    }
  }
}

/** Finishes the document @fastify/swagger built (changes it in place, and returns it). */
export function finishOpenApi<T extends Json>(doc: T): T {
  const paths = (doc.paths ?? {}) as Record<string, Json>;
  const errorRef = { $ref: '#/components/schemas/Error' };
  for (const [path, item] of Object.entries(paths)) {
    for (const method of METHODS) {
      const op = item[method];
      if (isObject(op)) finishOperation(path, method, op, errorRef);
    }
  }
  nullableOnBranches(doc.paths);
  return doc;
}
