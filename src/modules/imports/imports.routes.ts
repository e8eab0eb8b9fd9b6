import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { toDanishCsv } from '../../lib/csv.ts';
import { danishDate } from '../../lib/dates.ts';
import { AppError } from '../../lib/errors.ts';
import { formAddress, formValues, idFrom } from '../../lib/forms.ts';
import { rowIdParam, rowVersionParam } from '../../lib/ids.ts';
import { mayWriteArea } from '../../lib/policy.ts';
import { fieldsOf, type Import, importKinds } from './imports.schemas.ts';
import { problemText } from './imports.view.ts';

const version = rowVersionParam.catch(0);

/** The mapping form: each field's chosen header (blank for none), and the defaults. */
const mappingForm = z.object({
  columns: z.record(z.string().max(100), z.string().max(200)).catch({}),
  defaultYear: z.coerce.number().int().min(2000).max(2100).optional().catch(undefined),
  defaultTargetGroupId: rowIdParam.optional().catch(undefined),
  /** A checkbox: finance's override of a round's budget. */
  overrideBudget: z
    .string()
    .optional()
    .catch(undefined)
    .transform((v) => v === 'on' || v === 'true' || v === '1'),
  version,
});

const importKind = z.enum(importKinds).catch('grants');
/** Each actor name in the file, matched to an actor (its id) or to a new one; a fresh object each time it is none. */
const actorChoices = z.record(z.string().max(300), z.union([z.literal('new'), rowIdParam])).catch(() => ({}));

export const importsRoutes: FastifyPluginAsync = async (app) => {
  const { imports, targetGroups } = app.services;

  const mayImport = (request: FastifyRequest) =>
    mayWriteArea(request.principal, 'grants') || mayWriteArea(request.principal, 'actors');

  async function listPage(request: FastifyRequest, reply: FastifyReply, failure?: string, status = 200) {
    return reply.page(
      'imports/index',
      {
        title: request.t('import.title'),
        imports: await imports.list(request.principal),
        kinds: importKinds.filter((k) => mayWriteArea(request.principal, k === 'grants' ? 'grants' : 'actors')),
        canImport: mayImport(request),
        failure,
      },
      { status },
    );
  }

  app.get('/imports', async (request, reply) => listPage(request, reply));

  app.post('/imports', { config: { spoolUpload: true } }, async (request, reply) => {
    const body = formValues(request.body);
    const kind = importKind.parse(body.kind);
    if (!request.uploadPath) return listPage(request, reply, request.t('import.file.none'), 422);
    try {
      const created = await imports.upload(request.principal, {
        kind,
        fileName: request.uploadName ?? 'upload',
        path: request.uploadPath,
      });
      return reply.flash('flash.importUploaded', { file: created.fileName }).redirect(`/imports/${created.id}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'IMPORT_UNREADABLE')
        return listPage(request, reply, request.t(err.message), err.statusCode === 413 ? 413 : 422);
      throw err;
    }
  });

  /** The step the import is at: columns, preview, progress or result. */
  async function showPage(
    request: FastifyRequest,
    reply: FastifyReply,
    item: Import,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const step = (request.query as { step?: string } | undefined)?.step;
    const mapping = ['uploaded', 'invalid'].includes(item.status) || (item.status === 'ready' && step === 'columns');
    return reply.page(
      'imports/show',
      {
        title: request.t('import.titleOf', { file: item.fileName }),
        item,
        mapping,
        sample: mapping ? item.sample : [],
        justDone: (request.query as { done?: string } | undefined)?.done === '1',
        fields: fieldsOf(item.kind),
        groups: item.kind === 'grants' ? await targetGroups.tree(item.municipalityCode) : [],
        problems: item.problems.map((p) => ({ ...p, text: problemText(request.locale, p) })),
        thisYear: Number(danishDate().slice(0, 4)),
        ...extra,
      },
      { status },
    );
  }

  formAddress(app, '/imports/:id/columns', ({ id }) => `/imports/${id}`);

  app.get('/imports/:id', async (request, reply) =>
    showPage(request, reply, await imports.get(request.principal, idFrom(request.params))),
  );

  app.post('/imports/:id/columns', async (request, reply) => {
    const id = idFrom(request.params);
    const form = mappingForm.parse(formValues(request.body));
    const columns = Object.fromEntries(Object.entries(form.columns).filter(([, header]) => header !== ''));
    await imports.check(request.principal, id, {
      mapping: {
        columns,
        defaultYear: form.defaultYear,
        defaultTargetGroupId: form.defaultTargetGroupId,
        ...(form.overrideBudget ? { overrideBudget: true } : {}),
      },
      version: form.version,
    });
    return reply.flash('flash.importChecked').redirect(`/imports/${id}`, 303);
  });

  /** Saves the choices of actors, and writes the import once every choice is made. */
  app.post('/imports/:id/commit', async (request, reply) => {
    const id = idFrom(request.params);
    const body = formValues(request.body);
    const choices = actorChoices.parse(body.choice ?? {});
    let item = await imports.get(request.principal, id);
    let v = version.parse(body.version);
    if (Object.keys(choices).length) {
      item = await imports.check(request.principal, id, { actorChoices: choices, version: v });
      v = item.version;
    }
    const open = item.summary?.matches.filter((m) => m.choice === null) ?? [];
    if (open.length)
      return showPage(
        request,
        reply,
        item,
        { unanswered: open.map((m) => m.key), failure: request.t('import.unconfirmed') },
        422,
      );
    await imports.commit(request.principal, id, v);
    app.importRunner.kick();
    return reply.flash('flash.importStarted').redirect(`/imports/${id}`, 303);
  });

  app.post('/imports/:id/retry', async (request, reply) => {
    const id = idFrom(request.params);
    await imports.retry(request.principal, id, version.parse(formValues(request.body).version));
    app.importRunner.kick();
    return reply.flash('flash.importStarted').redirect(`/imports/${id}`, 303);
  });

  /** Polled by htmx while the import runs; once it has finished, the page is loaded afresh. */
  app.get('/imports/:id/progress', async (request, reply) => {
    const item = await imports.get(request.principal, idFrom(request.params));
    if (item.status !== 'queued') {
      // Done (or failed): the page itself shows the result, its heading focused.
      if (request.headers['hx-request'] === 'true')
        return reply.header('hx-redirect', `/imports/${item.id}?done=1`).code(204).send();
      return reply.redirect(`/imports/${item.id}`, 303);
    }
    const seen = (request.query as { seen?: string } | undefined)?.seen;
    if (request.headers['hx-request'] === 'true' && seen === String(item.processedRows)) return reply.code(204).send();
    return reply.page('imports/_progress', { item });
  });

  /** Every problem of the file, for a spreadsheet: line, column, value and message. */
  app.get('/imports/:id/problems.csv', async (request, reply) => {
    const id = idFrom(request.params);
    const problems = await imports.allProblems(request.principal, id);
    const csv = toDanishCsv(
      [
        request.t('import.csv.line'),
        request.t('import.csv.column'),
        request.t('import.csv.value'),
        request.t('import.csv.message'),
      ],
      problems.map((p) => [p.line, p.column ?? '', p.value ?? '', problemText(request.locale, p)]),
    );
    return reply
      .type('text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="import-${id}-fejl.csv"`)
      .send(csv);
  });
};
