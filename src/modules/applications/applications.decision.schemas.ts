import { z } from 'zod';
import { rowId, rowVersion } from '../../lib/ids.ts';
import { kronerFor } from '../../lib/money.ts';
import { dateOut, dateTimeOut } from '../../plugins/api-schemas.ts';
import { grantCreate, grantTransition } from '../grants/grants.schemas.ts';

/**
 * The decision on an online application (issue 21), one schema for the API and the staff form.
 * An approval awards money through the grant flow: the amount (at most the amount applied for),
 * its split over target groups (adding up to the amount), the grant's period, and the override of
 * the round's budget, all as the grant's award takes them.
 */
const decisions = ['approve', 'reject'] as const;
const text = (max: number, empty: string) => z.string({ error: empty }).trim().min(1, empty).max(max);

export const decisionInput = z.object({
  decision: z.enum(decisions, { error: 'applications.decision.choose' }),
  meeting: text(200, 'applications.decision.meeting.required').describe(
    'The meeting that decided, as its minutes name it, e.g. "Socialudvalget 12. marts 2027"',
  ),
  reasons: text(5000, 'applications.decision.reasons.required').describe(
    'The reasons for the decision: they are sent to the applicant',
  ),
  awardedOre: grantTransition.shape.awardedOre.describe(
    'To approve: the amount awarded in øre, at least 1 øre and at most the amount applied for',
  ),
  allocations: grantTransition.shape.allocations.describe(
    'To approve: the split over target groups, adding up to awardedOre',
  ),
  periodStart: grantCreate.shape.periodStart.describe('To approve: the grant’s period; default the application’s'),
  periodEnd: grantCreate.shape.periodEnd.describe('To approve: the grant’s period; default the application’s'),
  overrideBudget: grantTransition.shape.overrideBudget.describe(
    'To approve beyond the round’s remaining budget (finance or admin, explicitly)',
  ),
  version: rowVersion.describe('The application’s version you read'),
});
export type DecisionInput = z.infer<typeof decisionInput>;

/** The staff form: the API's fields, with kroner as people type them where the API takes øre. */
export const decisionForm = decisionInput.omit({ awardedOre: true, allocations: true }).extend({
  awarded: kronerFor(grantTransition.shape.awardedOre.unwrap()).optional(),
  lines: z
    .array(
      z.object({
        targetGroupId: rowId,
        amount: kronerFor(grantTransition.shape.awardedOre.unwrap()),
      }),
    )
    .max(100)
    .default([]),
  overrideBudget: z.boolean().default(false),
});
export type DecisionForm = z.infer<typeof decisionForm>;

/** The API's field names as the form calls them, so a refusal is shown beside its own field. */
export const formFieldOf: Record<string, string> = { awardedOre: 'awarded', allocations: 'lines' };

/** An application as the decision answers it. */
export const decidedApplicationSchema = z.object({
  id: z.number().int(),
  roundId: z.number().int(),
  status: z.enum(['draft', 'submitted', 'under_review', 'approved', 'rejected']),
  actorId: z.number().int().nullable(),
  grantId: z.number().int().nullable().describe('The grant the approval created: GET /api/v1/grants/{grantId}'),
  appliedOre: z.number().int().nullable(),
  awardedOre: z.number().int().nullable(),
  decidedAt: dateTimeOut.nullable(),
  decidedBy: z.number().int().nullable().describe('The user id of who decided'),
  decisionOn: dateOut.nullable(),
  decisionMeeting: z.string().nullable(),
  decisionReasons: z.string().nullable(),
  locale: z.enum(['da', 'en']).describe('The applicant’s language: the decision mail is in it'),
  version: z.number().int(),
});
export type DecidedApplication = z.infer<typeof decidedApplicationSchema>;
