import { z } from 'zod';
import { isShownIsoWeek } from '../../lib/dates.ts';
import { dateOut } from '../../plugins/api-schemas.ts';
import { municipalityCode } from '../municipalities/municipalities.schemas.ts';

export const outreachKinds = ['casework', 'counselling', 'health_check', 'other'] as const;

const day = z.iso.date();
const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, { message: 'outreach.timeFormat' });
/** An ISO week in the years 2000–2100 that exists (W53 only where the year has one). */
export const isoWeekParam = z.string().refine(isShownIsoWeek, { message: 'outreach.week.invalid' });
const id = z.number().int().positive().max(2_147_483_647);

export const outreachFields = z.object({
  municipalityCode: municipalityCode.optional().describe('Default: your own municipality'),
  actorId: id.describe('The actor whose venue it is'),
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

/** The rules across fields, checked even when another field is wrong. */
export function checkOutreach(v: Fields, ctx: z.RefinementCtx) {
  if (v.startsAt && v.endsAt && v.endsAt <= v.startsAt)
    ctx.addIssue({ code: 'custom', message: 'outreach.endsBeforeStarts', path: ['endsAt'] });
  if (v.periodStart && v.periodEnd && v.periodEnd < v.periodStart)
    ctx.addIssue({ code: 'custom', message: 'outreach.periodEndsBeforeStart', path: ['periodEnd'] });
  if (v.weekdays !== undefined && v.dates !== undefined && !v.weekdays.length && !v.dates.length)
    ctx.addIssue({ code: 'custom', message: 'outreach.whenRequired', path: ['weekdays'] });
  if (v.dates?.some((d) => (v.periodStart && d < v.periodStart) || (v.periodEnd && d > v.periodEnd)))
    ctx.addIssue({ code: 'custom', message: 'outreach.dateOutsidePeriod', path: ['dates'] });
}

export const outreachInput = outreachFields.superRefine(checkOutreach);
export type OutreachInput = z.infer<typeof outreachInput>;

export const outreachPatch = outreachFields
  .omit({ municipalityCode: true })
  .partial()
  .extend({
    weekdays: z.array(z.number().int().min(1).max(7)).max(7).optional(),
    dates: z.array(day).max(100).optional(),
    version: z.number().int().positive().optional().describe('The version you read; or send If-Match'),
  })
  .superRefine(checkOutreach);
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
  municipalityCode: z.coerce.number().int().min(101).max(999).optional(),
  actorId: z.coerce.number().int().positive().max(2_147_483_647).optional(),
  week: isoWeekParam.optional().describe('Only those held in this ISO week, e.g. 2026-W48 (years 2000–2100)'),
});
export type OutreachListQuery = z.infer<typeof outreachListQuery>;
