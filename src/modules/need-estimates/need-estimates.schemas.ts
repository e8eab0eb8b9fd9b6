import { z } from 'zod';
import { rowId, rowVersion } from '../../lib/ids.ts';
import { municipalityCode, municipalityCodeParam } from '../municipalities/municipalities.schemas.ts';

const year = z.number().int().min(2000).max(2100);

/** One estimate: the number of people in a target group of a municipality in a year. */
export const needEstimateInput = z.object({
  municipalityCode: municipalityCode.optional().describe('Must be the one in the query, if given'),
  targetGroupId: rowId.describe('An FFB group at any level, or a local group of the municipality'),
  year: year.optional().describe('Must be the one in the query, if given'),
  people: z.number().int().min(0).max(10_000_000),
  source: z.string().trim().max(500).nullish(),
  note: z.string().trim().max(2000).nullish(),
});
export type NeedEstimateInput = z.infer<typeof needEstimateInput>;

export const needEstimateSchema = z.object({
  municipalityCode: z.number().int(),
  targetGroupId: z.number().int(),
  year: z.number().int(),
  people: z.number().int(),
  source: z.string().nullable(),
  note: z.string().nullable(),
  version: z.number().int(),
});
export type NeedEstimate = z.infer<typeof needEstimateSchema>;

export const needEstimateQuery = z.object({
  municipalityCode: municipalityCodeParam,
  year: z.coerce.number().int().min(2000).max(2100),
});

/** One cell of the grid, edited in place: a version when the estimate exists already. */
export const needEstimateCell = z.object({
  targetGroupId: rowId,
  people: z.number().int().min(0).max(10_000_000).nullish().describe('Empty removes the estimate'),
  source: z.string().trim().max(500).nullish(),
  version: rowVersion.optional(),
});
export type NeedEstimateCell = z.infer<typeof needEstimateCell>;
