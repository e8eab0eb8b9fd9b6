import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';

/** OpenAPI 3 for /api/v1, built from the routes' zod schemas. The JSON at /docs/json, a UI at /docs. */
export const swaggerPlugin = fp(
  async (app) => {
    await app.register(swagger, {
      openapi: {
        openapi: '3.0.3',
        info: {
          title: 'Samspil API',
          description:
            'Civil-society partnership registry and § 18 grant tracker for Danish municipalities. Money is in øre (integers); municipality codes are integers (101 = København).',
          version: '1.0.0',
        },
        servers: [],
        components: {
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
          { name: 'imports', description: 'Grant and actor lists brought in from CSV or XLSX' },
        ],
      },
      transform: (args) => {
        if (!args.url.startsWith('/api/')) return { schema: { ...args.schema, hide: true }, url: args.url };
        return jsonSchemaTransform(args);
      },
    });
    await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { deepLinking: false } });
  },
  { name: 'swagger' },
);
