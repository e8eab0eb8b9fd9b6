import { z } from 'zod';
import { addDays, isDanishClockTime, isoWeekday, isShownIsoWeek, summerTimeStarts } from '../../lib/dates.ts';
import { rowId, rowIdParam, rowVersion } from '../../lib/ids.ts';
import { dateOut } from '../../plugins/api-schemas.ts';
import { municipalityCode, municipalityCodeParam } from '../municipalities/municipalities.schemas.ts';

export const outreachKinds = ['casework', 'counselling', 'health_check', 'other'] as const;

const day = z.iso.date();
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'outreach.timeFormat' });
/** An ISO week in the years 2000–2100 that exists (W53 only where the year has one). */
const isoWeekParam = z.string().refine(isShownIsoWeek, { message: 'outreach.week.invalid' });

export const outreachFields = z.object({
  municipalityCode: municipalityCode.optional().describe('Default: your own municipality'),
  actorId: rowId.describe('The actor whose venue it is'),
  kind: z.enum(outreachKinds),
  unit: z.string().trim().min(1).max(200).describe('The municipal unit or staff present'),
  weekdays: z
    .array(z.number().int().min(1).max(7))
    .max(7)
    .default([])
    .describe('ISO weekdays, 1 = Monday … 7 = Sunday'),
  dates: z.array(day).max(100).default([]).describe('Single dates, instead of or besides weekdays'),
  startsAt: time.describe('HH:MM, Danish time'),
  endsAt: time,
  periodStart: day,
  periodEnd: day.nullish(),
  note: z.string().trim().max(2000).nullish(),
});

type Fields = Partial<z.infer<typeof outreachFields>>;

/**
 * The days on which a time could fall in the hour Denmark skips: the single dates, and, for
 * Sundays, each start of summer time in the period. Two years are enough to know: a longer
 * period holds a whole March.
 */
function daysAtRiskOfTheSkippedHour(v: Fields): string[] {
  const days = [...(v.dates ?? [])];
  if (v.periodStart && v.weekdays?.includes(7)) {
    const first = Number(v.periodStart.slice(0, 4));
    const last = v.periodEnd ? Number(v.periodEnd.slice(0, 4)) : first + 1;
    for (let year = first; year <= Math.min(last, first + 1); year++) {
      const sunday = summerTimeStarts(year);
      if (sunday >= v.periodStart && (!v.periodEnd || sunday <= v.periodEnd)) days.push(sunday);
    }
  }
  return days;
}

/** Whether a period of known length holds none of the weekdays (an open period holds them all). */
function noWeekdayInPeriod(v: Fields): boolean {
  if (!v.weekdays?.length || !v.periodStart || !v.periodEnd || v.periodEnd < v.periodStart) return false;
  for (let d = v.periodStart; d <= v.periodEnd && d < addDays(v.periodStart, 7); d = addDays(d, 1))
    if (v.weekdays.includes(isoWeekday(d))) return false;
  return true;
}

/**
 * The rules across fields, as [field, message key] pairs: for the schemas (even when another field
 * is wrong) and for the service, which checks a change against the whole. `whole` is false for a
 * change alone, where a missing end of period is unknown rather than open.
 */
export function outreachProblems(v: Fields, whole = true): [field: string, message: string][] {
  const problems: [string, string][] = [];
  if (v.startsAt && v.endsAt && v.endsAt <= v.startsAt) problems.push(['endsAt', 'outreach.endsBeforeStarts']);
  if (v.periodStart && v.periodEnd && v.periodEnd < v.periodStart)
    problems.push(['periodEnd', 'outreach.periodEndsBeforeStart']);
  if (v.weekdays !== undefined && v.dates !== undefined && !v.weekdays.length && !v.dates.length)
    problems.push(['weekdays', 'outreach.whenRequired']);
  if (v.dates?.some((d) => (v.periodStart && d < v.periodStart) || (v.periodEnd && d > v.periodEnd)))
    problems.push(['dates', 'outreach.dateOutsidePeriod']);
  if (!whole) return problems;
  if (noWeekdayInPeriod(v)) problems.push(['weekdays', 'outreach.noWeekdayInPeriod']);
  const days = daysAtRiskOfTheSkippedHour(v);
  for (const field of ['startsAt', 'endsAt'] as const) {
    const time = v[field];
    if (time && days.some((d) => !isDanishClockTime(d, time)))
      problems.push([field, `outreach.timeSkipped?time=${time}`]);
  }
  return problems;
}

export function checkOutreach(v: Fields, ctx: z.RefinementCtx) {
  for (const [field, message] of outreachProblems(v)) ctx.addIssue({ code: 'custom', message, path: [field] });
}

function checkOutreachChange(v: Fields, ctx: z.RefinementCtx) {
  for (const [field, message] of outreachProblems(v, false)) ctx.addIssue({ code: 'custom', message, path: [field] });
}

export const outreachInput = outreachFields.superRefine(checkOutreach);
export type OutreachInput = z.infer<typeof outreachInput>;

export const outreachPatch = outreachFields
  .omit({ municipalityCode: true })
  .partial()
  .extend({
    weekdays: z.array(z.number().int().min(1).max(7)).max(7).optional(),
    dates: z.array(day).max(100).optional(),
    version: rowVersion.optional().describe('The version you read; or send If-Match'),
  })
  .superRefine(checkOutreachChange);
export type OutreachPatch = z.infer<typeof outreachPatch>;

export const outreachSchema = z.object({
  id: z.number().int(),
  municipalityCode: z.number().int(),
  actorId: z.number().int(),
  kind: z.enum(outreachKinds),
  unit: z.string(),
  weekdays: z.array(z.number().int()),
  dates: z.array(dateOut),
  startsAt: z.string(),
  endsAt: z.string(),
  periodStart: dateOut,
  periodEnd: dateOut.nullable(),
  note: z.string().nullable(),
  version: z.number().int(),
});
export type Outreach = z.infer<typeof outreachSchema>;

export const outreachListQuery = z.object({
  municipalityCode: municipalityCodeParam.optional(),
  actorId: rowIdParam.optional(),
  week: isoWeekParam.optional().describe('Only those held in this ISO week, e.g. 2026-W48 (years 2000–2100)'),
});
export type OutreachListQuery = z.infer<typeof outreachListQuery>;
