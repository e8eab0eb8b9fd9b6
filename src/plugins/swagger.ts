import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { errorSchema } from './api-schemas.ts';
import { finishOpenApi } from './openapi-contract.ts';

/** OpenAPI 3 for /api/v1, built from the routes' zod schemas. The JSON at /docs/json, a UI at /docs. */
export const swaggerPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Samspil API',
          description:
            'Civil-society partnership registry and § 18 grant tracker for Danish municipalities. Money is in øre (integers); municipality codes are integers (101 = København). ' +
            'Bodies are JSON (`application/json`) unless an operation says otherwise: another media type gets 415 UNSUPPORTED_MEDIA_TYPE, a body over 1 MB 413. ' +
            'A method a path does not offer gets 405 METHOD_NOT_ALLOWED with an `Allow` header. ' +
            'Versioned resources carry `version` and an `ETag`; a change states the version it read (`version` in the body, or If-Match), and a stale one gets 409 STALE_VERSION with the current record.',
          version: '1.0.0',
        },
        servers: [{ url: '/', description: 'This Samspil server' }],
        components: {
          schemas: { Error: z.toJSONSchema(errorSchema, { target: 'openapi-3.0' }) as Record<string, unknown> },
          securitySchemes: {
            bearerAuth: {
              type: 'http',
              scheme: 'bearer',
              description: 'An API key from your account page or `npm run cli -- token create`',
            },
          },
        },
        security: [{ bearerAuth: [] }],
        tags: [
          { name: 'reference', description: 'Municipalities and target groups' },
          { name: 'actors', description: 'Civil-society actors' },
          { name: 'grants', description: '§ 18 grant rounds and grants (money in øre)' },
          { name: 'agreements', description: 'Cooperation agreements, status meetings, action items and outreach' },
          { name: 'need estimates', description: 'Estimated citizens per target group, municipality and year' },
          { name: 'reports', description: 'Proportionality, shared actors and open data (360Giving)' },
          { name: 'imports', description: 'Grant and actor lists brought in from CSV or XLSX' },
          { name: 'applications', description: 'Online applications from civil society: the staff side' },
          { name: 'public', description: 'The § 18 rounds’ public data, for anyone: no API key needed' },
        ],
      },
      transform: (args) => {
        if (!args.url.startsWith('/api/')) return { schema: { ...args.schema, hide: true }, url: args.url };
        return jsonSchemaTransform(args);
      },
      transformObject: (documents) =>
        'openapiObject' in documents ? finishOpenApi(documents.openapiObject) : documents.swaggerObject,
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  },
  { name: 'swagger' },
);
