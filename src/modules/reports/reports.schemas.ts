import { z } from 'zod';
import { validationFailed } from '../../lib/errors.ts';
import { oreTotal } from '../../lib/money.ts';
import { municipalityCodeParam, regionCodeParam } from '../municipalities/municipalities.schemas.ts';
import type { ReportParams, Scope } from './reports.repository.ts';

const year = z.coerce.number().int().min(2000).max(2100);

/** Where and when a report looks: one of municipalityCode, regionCode or scope=national. */
const scopeQuery = z.object({
  municipalityCode: municipalityCodeParam.optional(),
  regionCode: regionCodeParam.optional(),
  scope: z.enum(['national']).optional(),
});

export const proportionalityQuery = scopeQuery.extend({
  year: year.optional().describe('One year; or yearFrom and yearTo'),
  yearFrom: year.optional(),
  yearTo: year.optional(),
  threshold: z.coerce.number().min(0).max(10).default(0.5).describe('Underserved below this index'),
});

export const sharedActorsQuery = z.object({
  regionCode: regionCodeParam.optional().describe('Leave out for the whole country'),
  year,
});

export const exportQuery = z.object({
  municipalityCode: municipalityCodeParam.optional(),
  regionCode: regionCodeParam.optional(),
  year,
});

export function scopeFrom(q: { municipalityCode?: number; regionCode?: number; scope?: 'national' }): Scope {
  const given = [q.municipalityCode !== undefined, q.regionCode !== undefined, q.scope === 'national'].filter(
    Boolean,
  ).length;
  if (given !== 1) throw validationFailed({ scope: ['reports.scopeRequired'] });
  if (q.municipalityCode !== undefined) return { kind: 'municipality', code: q.municipalityCode };
  if (q.regionCode !== undefined) return { kind: 'region', code: q.regionCode };
  return { kind: 'national' };
}

export function reportParamsFrom(q: z.infer<typeof proportionalityQuery>): ReportParams {
  const yearFrom = q.yearFrom ?? q.year;
  const yearTo = q.yearTo ?? q.year ?? q.yearFrom;
  if (yearFrom === undefined || yearTo === undefined) throw validationFailed({ year: ['reports.yearRequired'] });
  if (yearTo < yearFrom || yearTo - yearFrom > 20) throw validationFailed({ yearTo: ['reports.yearRange'] });
  return { scope: scopeFrom(q), yearFrom, yearTo, threshold: q.threshold };
}

const proportionalityRowSchema = z.object({
  targetGroupId: z.number().int(),
  parentId: z.number().int().nullable(),
  nameDa: z.string(),
  nameEn: z.string().nullable(),
  level: z.number().int(),
  municipalityCode: z.number().int().nullable().describe('Set for a local group'),
  needPeople: z.number().int(),
  needShare: z.number().nullable().describe('0–1; null when no need is estimated at all'),
  awardedOre: oreTotal.describe('§ 18 money awarded, in øre, as a decimal string'),
  inKindOre: oreTotal.describe('In-kind support, valued in øre, apart from the money, as a decimal string'),
  fundingShare: z.number().nullable().describe('0–1 of the money'),
  orePerPerson: oreTotal
    .nullable()
    .describe('§ 18 money per person in need, in øre (rounded), as a decimal string; null without need'),
  grantCount: z.number().int(),
  actorCount: z.number().int(),
  agreementCount: z.number().int(),
  outreachCount: z.number().int(),
  reachedPeople: z
    .number()
    .int()
    .describe('Participants reached, from accepted reports sent by applicants, rolled up the tree as the money is'),
  index: z.number().nullable().describe('share of funding ÷ share of need'),
  flag: z
    .enum(['underserved', 'no_offer', 'no_estimate', 'ok', 'no_data'])
    .describe('no_data: no need estimated and no money or in-kind support'),
});

export const proportionalitySchema = z.object({
  scope: z.string().describe('municipality:<code>, region:<code> or national'),
  year: z.number().int(),
  yearFrom: z.number().int(),
  yearTo: z.number().int(),
  threshold: z.number(),
  totalNeedPeople: z.number().int().describe('Each person once'),
  totalAwardedOre: oreTotal.describe('Each grant once; øre as a decimal string'),
  rows: z.array(proportionalityRowSchema).describe('Worst first'),
});
