import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, validationFailed } from '../../lib/errors.ts';
import { rowIdParams, rowVersion } from '../../lib/ids.ts';
import { errorResponses } from '../../plugins/api-schemas.ts';
import { actorChoices, fieldsOf, type Import, importKinds, importMapping, importSchema } from './imports.schemas.ts';
import { problemText } from './imports.view.ts';

/** The keys `mapping.columns` takes, per kind of list: documented from the fields the import reads. */
const mappingKeys = importKinds
  .map(
    (kind) =>
      `${kind}: ${fieldsOf(kind)
        .map((f) => `\`${f.key}\``)
        .join(', ')}`,
  )
  .join('; ');

/** A multipart text field, as the form sends it (validated by the handler). */
const textPart = (description: string) => z.any().meta({ type: 'string', description });

/** A multipart text field holding JSON, validated by a schema. */
function jsonField<T extends z.ZodType>(schema: T, field: string, value: unknown): z.infer<T> | undefined {
  if (value === undefined || value === '') return undefined;
  let parsed: unknown;
  try {
    parsed = typeof value === 'string' ? JSON.parse(value) : value;
  } catch {
    throw validationFailed({ [field]: ['import.api.json'] });
  }
  const result = schema.safeParse(parsed);
  if (!result.success) throw validationFailed({ [field]: ['import.api.json'] });
  return result.data;
}

export const importsApi: FastifyPluginAsyncZod = async (app) => {
  const { imports } = app.services;
  const withText = (item: Import, locale: string): Import => ({
    ...item,
    problems: item.problems.map((p) => ({ ...p, text: problemText(locale, p) })),
  });

  app.post(
    '/api/v1/imports',
    {
      config: { spoolUpload: true },
      schema: {
        tags: ['imports'],
        summary: 'Import a grant list or an actor list (CSV or XLSX), all rows or none',
        description:
          'Send multipart/form-data with `file` (CSV with ; or , in UTF-8 or Windows-1252, or XLSX), `kind` ' +
          '(grants or actors), and optionally `mapping` and `actorChoices` as JSON. Without `mapping` the ' +
          'columns are guessed from Danish or English headers. Every row is checked first: the answer is ' +
          '`invalid` with the problems per line, `ready` with `summary.matches` to confirm (actors with ' +
          'similar names: send your choices to /commit), or `queued`: the rows are being written in one ' +
          'transaction. Poll GET /api/v1/imports/{id} until `done`. A row is matched to a grant already ' +
          'registered by its reference column (per round), else by actor and title, so a file imported ' +
          'twice creates nothing new, and Samspil’s own grant export imports back to nothing to do. A ' +
          'row’s year is its year column’s, else the one in its round’s name as the export writes it ' +
          '("Puljen (2026)"), else `mapping.defaultYear`, else its decision date’s. Awards that take a ' +
          'registered round over its budget make the file `invalid` (import.overBudget), as the grant form refuses them, unless `mapping.overrideBudget` is ' +
          'true (finance’s override: the awards are marked over budget). Send `commit=false` to check the ' +
          'file without importing it.',
        consumes: ['multipart/form-data'],
        body: z.object({
          file: z.any().meta({ type: 'string', format: 'binary', description: 'The CSV or XLSX file' }),
          kind: z.enum(importKinds),
          mapping: textPart(
            `JSON: {"columns": {"actorName": "Forening", …}, "defaultYear": 2025, "defaultTargetGroupId": 7, "overrideBudget": false}. The keys of columns, by kind: ${mappingKeys}`,
          ).optional(),
          actorChoices: textPart('JSON: {"name:foreningenx": 12, "cvr:12345674": "new"}').optional(),
          commit: z.enum(['true', 'false']).optional().describe('Default true'),
        }),
        response: { 201: importSchema, ...errorResponses(400, 401, 403, 413) },
      },
    },
    async (request, reply) => {
      const { kind, commit } = request.body;
      if (!request.uploadPath) throw validationFailed({ file: ['import.file.none'] });
      const mapping = jsonField(importMapping, 'mapping', request.body.mapping);
      const choices = jsonField(actorChoices, 'actorChoices', request.body.actorChoices);
      const created = await imports.upload(request.principal, {
        kind,
        fileName: request.uploadName ?? 'upload',
        path: request.uploadPath,
      });
      let item = await imports.check(request.principal, created.id, {
        mapping: mapping ?? created.mapping ?? undefined,
        actorChoices: choices,
      });
      if (commit !== 'false' && item.status === 'ready' && !item.summary?.matches.some((m) => m.choice === null)) {
        item = await imports.commit(request.principal, item.id, item.version);
        app.importRunner.kick();
      }
      return reply.code(201).send(withText(item, request.locale));
    },
  );

  app.get(
    '/api/v1/imports/:id',
    {
      schema: {
        tags: ['imports'],
        summary: 'An import: its status, progress, counts and problems',
        params: rowIdParams,
        response: { 200: importSchema, ...errorResponses(400, 401, 403, 404) },
      },
    },
    async (request) => withText(await imports.get(request.principal, request.params.id), request.locale),
  );

  app.post(
    '/api/v1/imports/:id/commit',
    {
      schema: {
        tags: ['imports'],
        summary: 'Confirm the actor matches of a ready import and write it',
        description:
          'Refused with 409 (IMPORT_NOT_READY, IMPORT_UNCONFIRMED, STALE_VERSION) when the import is not ready, a match is left unconfirmed or the version is stale: then nothing changes, the version neither, and `current` holds the import as GET /api/v1/imports/{id} shows it.',
        params: rowIdParams,
        body: z.object({
          version: rowVersion,
          actorChoices: actorChoices.optional(),
        }),
        response: { 200: importSchema, ...errorResponses(400, 401, 403, 404, 409) },
      },
    },
    async (request) => {
      const { version, actorChoices: choices } = request.body;
      try {
        const item = choices
          ? await imports.confirm(request.principal, request.params.id, version, choices)
          : await imports.commit(request.principal, request.params.id, version);
        app.importRunner.kick();
        return withText(item, request.locale);
      } catch (err) {
        // The import as it is now, with its problems' text as a GET gives them.
        const current = err instanceof AppError ? (err.details?.current as Import | undefined) : undefined;
        if (!(err instanceof AppError) || !current) throw err;
        throw new AppError(err.code, err.statusCode, err.message, {
          details: { ...err.details, current: withText(current, request.locale) },
        });
      }
    },
  );
};
