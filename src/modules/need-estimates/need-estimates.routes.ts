import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { translate } from '../../i18n/index.ts';
import { danishDate } from '../../lib/dates.ts';
import { AppError } from '../../lib/errors.ts';
import { coerceForm, fieldErrorsFrom, formAddress, formValues } from '../../lib/forms.ts';
import { assertMayWrite, mayWrite } from '../../lib/policy.ts';
import { readTableFile } from '../../lib/table-reader.ts';
import { municipalityCodeParam } from '../municipalities/municipalities.schemas.ts';
import { needEstimateCell, needEstimateInput } from './need-estimates.schemas.ts';
import { type ImportProblem, parsePeople } from './need-estimates.service.ts';

const where = z.object({
  municipalityCode: municipalityCodeParam,
  year: z.coerce.number().int().min(2000).max(2100),
});
/** The municipality and year a query or form asks for, each dropped when it is none. */
const placeAsked = z.object({
  municipalityCode: where.shape.municipalityCode.optional().catch(undefined),
  year: where.shape.year.optional().catch(undefined),
});
/** One cell of the grid: the API's cell, and the place it is in. */
const cellForm = needEstimateCell.extend({
  municipalityCode: needEstimateInput.shape.municipalityCode.unwrap(),
  year: needEstimateInput.shape.year.unwrap(),
});

/** What the last copy or import did, shown once on the page it leads back to. */
const doneCounts = z.object({
  copied: z.coerce.number().int().min(0).max(10_000).optional().catch(undefined),
  imported: z.coerce.number().int().min(0).max(100_000).optional().catch(undefined),
});

export const needEstimatesRoutes: FastifyPluginAsync = async (app) => {
  const { needEstimates, targetGroups, municipalities, reports } = app.services;

  /** The grid's place from a query or a form: the caller's own municipality and this year unless another is given. */
  function place(request: FastifyRequest, source: unknown) {
    const asked = placeAsked.parse(formValues(source));
    return where.parse({
      municipalityCode: asked.municipalityCode ?? request.principal.municipalityCode ?? 101,
      year: asked.year ?? Number(danishDate().slice(0, 4)),
    });
  }

  async function gridData(request: FastifyRequest, municipalityCode: number, year: number) {
    const [tree, estimates, allMunicipalities, { rolled, total }] = await Promise.all([
      targetGroups.tree(municipalityCode),
      needEstimates.list(municipalityCode, year),
      municipalities.all(),
      // Rolled up the tree as the proportionality report counts it: one rule, in one place.
      reports.needByGroup(municipalityCode, year),
    ]);
    const groups = tree.filter((g) => g.municipalityCode === null || g.municipalityCode === municipalityCode);
    const byGroup = new Map(estimates.map((e) => [e.targetGroupId, e]));
    return {
      municipalityCode,
      year,
      groups,
      estimates: Object.fromEntries(byGroup),
      rolled: Object.fromEntries(rolled),
      total,
      municipalities: allMunicipalities,
      municipalityName: allMunicipalities.find((m) => m.code === municipalityCode)?.name ?? '',
      canWrite: mayWrite(request.principal, 'needEstimates', municipalityCode),
    };
  }

  async function page(
    request: FastifyRequest,
    reply: FastifyReply,
    municipalityCode: number,
    year: number,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    return reply.page(
      'need-estimates/index',
      { title: request.t('needs.title'), ...(await gridData(request, municipalityCode, year)), ...extra },
      { status },
    );
  }

  app.get('/need-estimates', async (request, reply) => {
    const { municipalityCode, year } = place(request, request.query);
    const { copied, imported } = doneCounts.parse(request.query ?? {});
    return page(request, reply, municipalityCode, year, { copied, imported });
  });

  /** One row of the grid, saved in place with htmx (or by its own button without JavaScript). */
  app.post('/need-estimates/cell', async (request, reply) => {
    const values = formValues(request.body);
    // People type whole numbers the Danish way: 1.200 or 1 200.
    const typed = typeof values.people === 'string' ? parsePeople(values.people) : undefined;
    const parsed = cellForm.safeParse(
      coerceForm(cellForm, typed === undefined ? values : { ...values, people: String(typed) }),
    );
    const htmx = request.headers['hx-request'] === 'true';
    if (!parsed.success) {
      const { municipalityCode, year } = place(request, values);
      const groupId = Number(values.targetGroupId);
      const errors = fieldErrorsFrom(parsed.error);
      const data = htmx && Number.isSafeInteger(groupId) ? await gridData(request, municipalityCode, year) : undefined;
      const group = data?.groups.find((g) => g.id === groupId);
      // A row is answered with its row; a group the grid has no row for, with the whole page.
      if (!data || !group)
        return page(request, reply, municipalityCode, year, { rowErrors: { [groupId]: errors }, values }, 422);
      return reply.page('need-estimates/_row', { ...data, group, errors, values }, { status: 422 });
    }
    const { municipalityCode, year, targetGroupId, people, source, version } = parsed.data;
    let failure: string | undefined;
    let status = 200;
    try {
      await needEstimates.setCell(request.principal, municipalityCode, year, {
        targetGroupId,
        people: people ?? null,
        source: source ?? null,
        version,
      });
    } catch (err) {
      if (!(err instanceof AppError) || (err.statusCode !== 409 && err.statusCode !== 400)) throw err;
      // Say what was wrong (an unknown group, say), not only that something was.
      const first = Object.values(err.fieldErrors ?? {})[0]?.[0];
      failure = request.t(err.statusCode === 409 ? 'needs.changedMeanwhile' : (first ?? err.message));
      status = err.statusCode === 409 ? 409 : 422;
    }
    if (!htmx) {
      if (failure) return page(request, reply, municipalityCode, year, { failure }, status);
      reply.flash('flash.needEstimateSaved');
      return reply.redirect(`/need-estimates?municipalityCode=${municipalityCode}&year=${year}`, 303);
    }
    const data = await gridData(request, municipalityCode, year);
    const group = data.groups.find((g) => g.id === targetGroupId);
    if (!group) return page(request, reply, municipalityCode, year, { failure }, status);
    return reply.page(
      'need-estimates/_row',
      {
        ...data,
        group,
        failure,
        saved: !failure,
        oobTotal: true,
      },
      { status },
    );
  });

  app.post('/need-estimates/copy', async (request, reply) => {
    const { municipalityCode, year } = where.parse(formValues(request.body));
    const copied = await needEstimates.copyFromLastYear(request.principal, municipalityCode, year);
    return reply.redirect(`/need-estimates?municipalityCode=${municipalityCode}&year=${year}&copied=${copied}`, 303);
  });

  formAddress(app, '/need-estimates/import', () => '/need-estimates');

  app.post('/need-estimates/import', { config: { spoolUpload: true } }, async (request, reply) => {
    const body = formValues(request.body);
    const { municipalityCode, year } = where.parse({ municipalityCode: body.municipalityCode, year: body.year });
    // Who may import is settled before the file is looked at.
    assertMayWrite(request.principal, 'needEstimates', municipalityCode);
    const fail = (problems: ImportProblem[], status = 422) =>
      page(
        request,
        reply,
        municipalityCode,
        year,
        {
          importProblems: problems.map((p) => ({
            line: p.line,
            message: translate(request.locale, p.message, p.params),
          })),
        },
        status,
      );
    // The file was written to disk as it arrived; it is read as the grant and actor import reads one.
    if (!request.uploadPath) return fail([{ line: 0, message: 'needs.import.noFile' }]);
    try {
      const table = await readTableFile(request.uploadPath);
      const { imported } = await needEstimates.importTable(request.principal, municipalityCode, year, table);
      return reply.redirect(
        `/need-estimates?municipalityCode=${municipalityCode}&year=${year}&imported=${imported}`,
        303,
      );
    } catch (err) {
      if (err instanceof AppError && err.code === 'IMPORT_INVALID')
        return fail((err.details as { problems: ImportProblem[] }).problems);
      if (err instanceof AppError && err.code === 'IMPORT_UNREADABLE')
        return fail([{ line: 0, message: err.message }], err.statusCode === 413 ? 413 : 422);
      throw err;
    }
  });
};
