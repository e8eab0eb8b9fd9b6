import { z } from 'zod';
import { pageQuery } from '../../lib/pagination.ts';
import { dateOut } from '../../plugins/api-schemas.ts';
import { grantKinds, roundCriterionSchema } from '../grants/grants.schemas.ts';
import { municipalityCodeParam } from '../municipalities/municipalities.schemas.ts';

/*
 * The public view of the § 18 rounds: what a municipality publishes about them, and nothing of the
 * people involved. The same shapes serve the public pages and GET /api/v1/public/rounds.
 */

const roundPhases = ['open', 'upcoming', 'closed', 'decided'] as const;

export const publicRoundQuery = z.object({
  municipalityCode: municipalityCodeParam.optional().describe('Only this municipality’s rounds'),
  ...pageQuery.shape,
});
export type PublicRoundQuery = z.infer<typeof publicRoundQuery>;

export const publicCodeParams = z.object({ code: municipalityCodeParam });

const publicTargetGroup = z.object({
  id: z.number().int(),
  ffbCode: z.string().nullable().describe('The FFB concept’s id; null for a municipality’s local group'),
  nameDa: z.string(),
  nameEn: z.string().nullable(),
});
export type PublicTargetGroup = z.infer<typeof publicTargetGroup>;

export const publicRoundSchema = z.object({
  id: z.number().int(),
  municipalityCode: z.number().int(),
  municipalityName: z.string(),
  year: z.number().int(),
  name: z.string(),
  description: z.string().nullable(),
  phase: z
    .enum(roundPhases)
    .describe('open: takes applications today; upcoming: opens later; closed: being decided; decided'),
  openForApplications: z.boolean().describe('Whether applications are taken today (Danish time)'),
  budgetOre: z.number().int(),
  applicationsOpenOn: dateOut.nullable(),
  applicationsCloseOn: dateOut.nullable(),
  decisionOn: dateOut.nullable(),
  targetGroups: z.array(publicTargetGroup).describe('The target groups the round gives priority to'),
  criteria: z.array(roundCriterionSchema).describe('What applications are judged by, in order'),
});
export type PublicRound = z.infer<typeof publicRoundSchema>;

const publicGrantSchema = z.object({
  organisation: z.string().describe('The organisation’s or group’s name; never a person’s'),
  title: z.string(),
  purpose: z.string().nullable(),
  kind: z.enum(grantKinds),
  awardedOre: z.number().int(),
  targetGroups: z.array(publicTargetGroup),
});

export const publicRoundDetailSchema = publicRoundSchema.extend({
  distribution: z
    .array(publicGrantSchema)
    .nullable()
    .describe('A decided round’s awarded grants (the public distribution list); null before the decision'),
});
export type PublicRoundDetail = z.infer<typeof publicRoundDetailSchema>;
