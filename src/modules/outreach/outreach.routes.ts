import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { translateFieldErrors } from '../../i18n/index.ts';
import { addDays, danishDate, isoWeek, isShownIsoWeek, mondayOfIsoWeek, parseDanishDate } from '../../lib/dates.ts';
import { AppError } from '../../lib/errors.ts';
import {
  actorChoice,
  coerceForm,
  fieldErrorsFrom,
  formAddress,
  formValues,
  idFrom,
  lenientQuery,
} from '../../lib/forms.ts';
import { rowVersion } from '../../lib/ids.ts';
import { assertMayCreate, assertMayWrite, mayWrite } from '../../lib/policy.ts';
import { checkOutreach, type Outreach, outreachFields, outreachKinds, outreachListQuery } from './outreach.schemas.ts';
import { occurrences } from './outreach.service.ts';

/** Single dates as people type them (1.12.2026 or 2026-12-01), separated by commas, semicolons or spaces. */
function parseDates(raw: unknown): string[] | undefined {
  if (typeof raw !== 'string' || !raw.trim()) return [];
  const out: string[] = [];
  for (const part of raw.split(/[,;\s]+/).filter(Boolean)) {
    const iso = parseDanishDate(part);
    if (iso === undefined) return undefined;
    out.push(iso);
  }
  return out;
}

const outreachForm = outreachFields.omit({ municipalityCode: true, dates: true }).superRefine(checkOutreach);
const editForm = outreachFields
  .omit({ municipalityCode: true, dates: true })
  .extend({ version: rowVersion })
  .superRefine(checkOutreach);

const fullForm = outreachFields
  .omit({ municipalityCode: true })
  .extend({ version: rowVersion.optional() })
  .superRefine(checkOutreach);

// A week that is no week, or out of the years shown: this week, as the heading says.
const weekQuery = lenientQuery(outreachListQuery.pick({ week: true, municipalityCode: true }));

const valuesOf = (o: Outreach) => ({
  ...o,
  weekdays: o.weekdays.map(String),
  dates: o.dates.join(', '),
  periodEnd: o.periodEnd ?? '',
  note: o.note ?? '',
});

export const outreachRoutes: FastifyPluginAsync = async (app) => {
  const { outreach, actors, municipalities } = app.services;

  app.get('/outreach', async (request, reply) => {
    const q = weekQuery.parse(request.query ?? {});
    const today = danishDate();
    const week = q.week ?? isoWeek(today);
    const municipalityCode = q.municipalityCode ?? request.principal.municipalityCode ?? 101;
    const [days, allMunicipalities] = await Promise.all([outreach.week(municipalityCode, week), municipalities.all()]);
    const monday = mondayOfIsoWeek(week);
    const names = await actors.names(days.flatMap((d) => d.items.map((i) => i.actorId)));
    return reply.page('outreach/index', {
      title: request.t('outreach.title'),
      days,
      week,
      weekNumber: Number(week.slice(6)),
      monday,
      sunday: addDays(monday, 6),
      // No link out of the years shown.
      previous: [isoWeek(addDays(monday, -7))].find(isShownIsoWeek),
      next: [isoWeek(addDays(monday, 7))].find(isShownIsoWeek),
      today,
      municipalityCode,
      municipalities: allMunicipalities,
      municipalityName: allMunicipalities.find((m) => m.code === municipalityCode)?.name ?? '',
      actorNames: names,
      canCreate: mayWrite(request.principal, 'agreements', municipalityCode),
    });
  });

  async function formPage(
    _request: FastifyRequest,
    reply: FastifyReply,
    view: 'outreach/new' | 'outreach/edit',
    values: Record<string, unknown>,
    extra: Record<string, unknown> = {},
    status = 200,
  ) {
    const chosen = Number(values.actorId) || undefined;
    let actorOptions: { id: number; name: string }[] = (
      await actors.summaries({ limit: 100, offset: 0, status: 'active' })
    ).items;
    if (chosen && !actorOptions.some((a) => a.id === chosen)) {
      const name = (await actors.names([chosen])).get(chosen);
      if (name) actorOptions = [{ id: chosen, name }, ...actorOptions];
    }
    return reply.page(
      view,
      {
        title: _request.t(view === 'outreach/new' ? 'outreach.new' : 'outreach.edit'),
        values,
        actorOptions,
        outreachKinds,
        ...extra,
      },
      { status },
    );
  }

  const translated = (request: FastifyRequest, errors: Record<string, string[]> | undefined) =>
    translateFieldErrors(request.locale, errors);

  app.get('/outreach/new', async (request, reply) => {
    const { actorId } = actorChoice.parse(request.query ?? {});
    assertMayCreate(request.principal, 'agreements');
    return formPage(request, reply, 'outreach/new', {
      actorId,
      kind: 'casework',
      periodStart: danishDate(),
      weekdays: [],
    });
  });

  /** Parses the form, dates typed as text included, and runs the change; errors re-render the form. */
  async function submit(
    request: FastifyRequest,
    reply: FastifyReply,
    view: 'outreach/new' | 'outreach/edit',
    schema: typeof outreachForm | typeof editForm,
    save: (data: Record<string, unknown> & { dates: string[] }) => Promise<Outreach>,
    extra: Record<string, unknown> = {},
  ) {
    const values = formValues(request.body);
    const dates = parseDates(values.dates);
    const parsed = schema.safeParse(coerceForm(schema, values));
    const errors = parsed.success ? {} : fieldErrorsFrom(parsed.error);
    if (dates === undefined) errors.dates = ['outreach.datesFormat'];
    // With the dates parsed, the rules across fields once more: weekdays or dates, dates in the period.
    const whole = parsed.success && dates ? fullForm.safeParse({ ...parsed.data, dates }) : undefined;
    if (whole && !whole.success) Object.assign(errors, fieldErrorsFrom(whole.error));
    if (!parsed.success || Object.keys(errors).length)
      return formPage(request, reply, view, values, { ...extra, fieldErrors: translated(request, errors) }, 422);
    try {
      const saved = await save({ ...parsed.data, dates: dates ?? [] });
      // To the week of its next occurrence, where it shows.
      const today = danishDate();
      const from = saved.periodStart > today ? saved.periodStart : today;
      const next = occurrences(saved, from, addDays(from, 366))[0] ?? from;
      reply.flash(view === 'outreach/new' ? 'flash.outreachCreated' : 'flash.outreachSaved', { unit: saved.unit });
      return reply.redirect(`/outreach?week=${isoWeek(next)}`, 303);
    } catch (err) {
      if (err instanceof AppError && err.code === 'STALE_VERSION') {
        const current = await outreach.get(idFrom(request.params));
        return formPage(
          request,
          reply,
          view,
          valuesOf(current),
          { ...extra, outreachItem: current, failure: request.t('error.staleVersion') },
          409,
        );
      }
      if (err instanceof AppError && err.statusCode === 400)
        return formPage(
          request,
          reply,
          view,
          values,
          { ...extra, fieldErrors: translated(request, err.fieldErrors) },
          422,
        );
      throw err;
    }
  }

  const createOutreach = async (request: FastifyRequest, reply: FastifyReply) =>
    submit(request, reply, 'outreach/new', outreachForm, (data) =>
      outreach.create(request.principal, data as Parameters<typeof outreach.create>[1]),
    );
  app.post('/outreach', createOutreach);
  // The form posts to its own address: a refused form keeps the address it was opened at.
  app.post('/outreach/new', createOutreach);

  app.get('/outreach/:id/edit', async (request, reply) => {
    const item = await outreach.get(idFrom(request.params));
    assertMayWrite(request.principal, 'agreements', item.municipalityCode);
    return formPage(request, reply, 'outreach/edit', valuesOf(item), { outreachItem: item });
  });

  const updateOutreach = async (request: FastifyRequest, reply: FastifyReply) => {
    const id = idFrom(request.params);
    const item = await outreach.get(id);
    return submit(
      request,
      reply,
      'outreach/edit',
      editForm,
      (data) => outreach.update(request.principal, id, data as Parameters<typeof outreach.update>[2]),
      { outreachItem: item },
    );
  };
  formAddress(app, '/outreach/:id', ({ id }) => `/outreach/${id}/edit`);
  app.post('/outreach/:id', updateOutreach);
  // The form posts to its own address: a refused form keeps the address it was opened at.
  app.post('/outreach/:id/edit', updateOutreach);
};
