import { z } from 'zod';
import { rowId, rowIdParam, rowVersion } from '../../lib/ids.ts';
import { kronerFor, MAX_OERE, oreTotal } from '../../lib/money.ts';
import { pageQuery, queryFlag } from '../../lib/pagination.ts';
import { dateOut } from '../../plugins/api-schemas.ts';
import { municipalityCode, municipalityCodeParam, regionCodeParam } from '../municipalities/municipalities.schemas.ts';

const roundStatuses = ['planned', 'open', 'closed', 'decided'] as const;
export const grantKinds = ['money', 'in_kind'] as const;
export const grantStatuses = ['applied', 'approved', 'rejected', 'withdrawn', 'paid', 'accounted', 'closed'] as const;
type RoundStatus = (typeof roundStatuses)[number];
export type GrantStatus = (typeof grantStatuses)[number];

/** A round moves one step at a time: the status after this one, or none after the last. */
export const nextRoundStatus = (status: RoundStatus): RoundStatus | undefined =>
  roundStatuses[roundStatuses.indexOf(status) + 1];
/** A decided round takes no more applications or awards. */
export const roundTakesGrants = (status: RoundStatus) => status !== 'decided';

/** One amount is integer øre, from 0 to 10^9 kr. (MAX_OERE); sums of them are oreTotal strings. */
const ore = z.number().int().min(0).max(Number(MAX_OERE));
const day = z.iso.date();
const text = (max: number) => z.string().trim().max(max);

/** The most criteria one round has. */
const MAX_CRITERIA = 30;
/** A criterion as given: an id keeps an existing one (scores stay on it); none adds a new one. */
const criterionInput = z.object({
  id: rowId.optional().describe('An existing criterion of this round'),
  title: text(200).min(1),
  description: text(2000).nullish(),
});

export const roundInput = z.object({
  municipalityCode: municipalityCode.optional().describe('Default: your own municipality'),
  year: z.number().int().min(2000).max(2100),
  name: text(200).min(1),
  budgetOre: ore,
  applicationsOpenOn: day.nullish(),
  applicationsCloseOn: day.nullish(),
  decisionOn: day.nullish(),
  reportDueOn: day.nullish().describe('Default: 1 June of the following year'),
  description: text(5000).nullish().describe('What the round is for, as the public round page shows it'),
  targetGroupIds: z
    .array(rowId)
    .max(100)
    .optional()
    .describe('The target groups the round gives priority to (FFB or local groups); replaces the list'),
  criteria: z
    .array(criterionInput)
    .max(MAX_CRITERIA)
    .optional()
    .describe('The criteria in order; replaces the list. An item with an id keeps that criterion'),
});
export type RoundInput = z.infer<typeof roundInput>;

export const roundPatch = roundInput
  .omit({ municipalityCode: true })
  .partial()
  .extend({
    status: z.enum(roundStatuses).optional().describe('planned → open → closed → decided, one step at a time'),
    version: rowVersion.optional().describe('The version you read; or send If-Match'),
  });
export type RoundPatch = z.infer<typeof roundPatch>;

const roundOverviewSchema = z.object({
  requestedOre: oreTotal,
  awardedOre: oreTotal,
  remainingOre: oreTotal.describe('budget less awarded; negative after an override (a decimal string)'),
  paidOre: oreTotal.describe('net of repayments (a decimal string)'),
  outstandingOre: oreTotal.describe('awarded but not yet paid (a decimal string)'),
  grantsByStatus: z.record(z.string(), z.number().int()),
});

/** A round's criterion: its id stays while the round is edited. */
export const roundCriterionSchema = z.object({
  id: z.number().int(),
  position: z.number().int().describe('1, 2, 3 … in the round’s order'),
  title: z.string(),
  description: z.string().nullable(),
});

export const roundSchema = z.object({
  id: z.number().int(),
  municipalityCode: z.number().int(),
  year: z.number().int(),
  name: z.string(),
  budgetOre: z.number().int(),
  applicationsOpenOn: dateOut.nullable(),
  applicationsCloseOn: dateOut.nullable(),
  decisionOn: dateOut.nullable(),
  reportDueOn: dateOut.describe('The round’s own date, or 1 June of the following year'),
  status: z.enum(roundStatuses),
  description: z.string().nullable(),
  targetGroupIds: z.array(z.number().int()),
  criteria: z.array(roundCriterionSchema),
  version: z.number().int(),
  ...roundOverviewSchema.shape,
});
export type Round = z.infer<typeof roundSchema>;

/** The most target groups one award is split across. */
const MAX_ALLOCATIONS = 100;
const allocationInput = z.object({ targetGroupId: rowId, amountOre: ore.min(1) });
const paymentInput = z.object({
  kind: z.enum(['payment', 'repayment']).default('payment'),
  paidOn: day,
  amountOre: ore.min(1),
});
export type PaymentInput = z.infer<typeof paymentInput>;
/** A correction of one payment: its kind, date and amount as they should have been, from the version read. */
export const paymentCorrection = paymentInput.extend({
  version: rowVersion.optional().describe('The grant’s version you read; or send If-Match'),
});

export const grantCreate = z.object({
  roundId: rowId,
  actorId: rowId,
  title: text(300).min(1),
  purpose: text(5000).nullish(),
  kind: z.enum(grantKinds).default('money'),
  inKindDescription: text(2000).nullish().describe('For in-kind support: what is given (premises, secretariat help …)'),
  requestedOre: ore,
  periodStart: day.nullish(),
  periodEnd: day.nullish(),
  externalRef: text(100)
    .nullish()
    .describe('The case number (sagsnummer), unique in its round; a re-import matches on it'),
  caseHandlerId: rowId
    .nullish()
    .describe(
      'The case handler (sagsbehandler): the id of an active finance user or coordinator of the grant’s municipality, ' +
        'who gets the report reminders with finance. Another municipality’s user, a deactivated one or another role ' +
        'gets 400 CASE_HANDLER_INVALID; null clears it',
    ),
});
export type GrantCreate = z.infer<typeof grantCreate>;

export const grantPatch = grantCreate
  .omit({ roundId: true, actorId: true, kind: true })
  .partial()
  .extend({
    reportDueOn: day.optional(),
    reportReceivedOn: day.nullish(),
    auditorEndorsed: z.boolean().optional(),
    allocations: z
      .array(allocationInput)
      .max(MAX_ALLOCATIONS)
      .optional()
      .describe('Replaces the split; must add up to the award'),
    payments: z.array(paymentInput).max(500).optional().describe('Replaces the instalments and repayments'),
    version: rowVersion.optional().describe('The version you read; or send If-Match'),
  });
export type GrantPatch = z.infer<typeof grantPatch>;

export const grantTransition = z.object({
  to: z.enum(grantStatuses),
  version: rowVersion,
  awardedOre: ore
    .min(1, 'grant.award.zero')
    .optional()
    .describe('To approved: the amount awarded, at least 1 øre (to give nothing, reject the application)'),
  decisionOn: day.optional(),
  allocations: z
    .array(allocationInput)
    .max(MAX_ALLOCATIONS)
    .optional()
    .describe('To approved: the split, adding up to the award'),
  targetGroupId: rowId.optional().describe('To approved: put the whole award on one target group'),
  overrideBudget: z.boolean().optional().describe('To approved: award beyond the round’s remaining budget'),
});
export type GrantTransition = z.infer<typeof grantTransition>;

export const grantSchema = z.object({
  id: z.number().int(),
  roundId: z.number().int(),
  municipalityCode: z.number().int(),
  actorId: z.number().int(),
  title: z.string(),
  purpose: z.string().nullable(),
  externalRef: z.string().nullable().describe('The case number (sagsnummer) an imported grant list gave it'),
  caseHandlerId: z.number().int().nullable().describe('The case handler’s user id, or null'),
  kind: z.enum(grantKinds),
  inKindDescription: z.string().nullable(),
  requestedOre: z.number().int(),
  awardedOre: z.number().int().nullable(),
  decisionOn: dateOut.nullable(),
  periodStart: dateOut.nullable(),
  periodEnd: dateOut.nullable(),
  status: z.enum(grantStatuses),
  reportDueOn: dateOut,
  reportReceivedOn: dateOut.nullable(),
  reportOverdue: z.boolean(),
  auditorEndorsementRequired: z.boolean(),
  auditorEndorsed: z.boolean(),
  budgetOverride: z.boolean(),
  allocations: z.array(z.object({ targetGroupId: z.number().int(), amountOre: z.number().int() })),
  payments: z.array(
    z.object({
      id: z.number().int().describe('For a correction: PUT /api/v1/grants/{id}/payments/{paymentId}'),
      kind: z.enum(['payment', 'repayment']),
      paidOn: dateOut,
      amountOre: z.number().int(),
    }),
  ),
  paidOre: z.number().int(),
  version: z.number().int(),
  warnings: z.array(z.string()).optional().describe('E.g. ACTOR_HAS_OVERDUE_REPORT when the actor owes a report'),
});
export type Grant = z.infer<typeof grantSchema>;

export const roundListQuery = z.object({
  municipalityCode: municipalityCodeParam.optional().describe('Only this municipality’s rounds'),
  year: z.coerce.number().int().min(2000).max(2100).optional().describe('Only this year’s rounds'),
  ...pageQuery.shape,
});
export type RoundListQuery = z.infer<typeof roundListQuery>;

/** How the grant list sorts: by the awarded amount, the actor's name, the status or the decision date. */
const grantSortKeys = ['awarded', '-awarded', 'actor', '-actor', 'status', '-status', 'decision', '-decision'] as const;
export type GrantSort = (typeof grantSortKeys)[number];

export const grantListQuery = z.object({
  roundId: rowIdParam.optional(),
  year: z.coerce.number().int().min(2000).max(2100).optional(),
  status: z.enum(grantStatuses).optional(),
  targetGroupId: rowIdParam.optional().describe('Includes its sub-groups'),
  actorId: rowIdParam.optional(),
  municipalityCode: municipalityCodeParam.optional(),
  regionCode: regionCodeParam.optional().describe('Grants of the region’s municipalities'),
  overdue: queryFlag.optional().describe('Only grants whose report is overdue'),
  q: z
    .string()
    .trim()
    .max(200)
    .optional()
    .describe('Words in the actor’s name, the title, the purpose or the case number'),
  sort: z.enum(grantSortKeys).optional().describe('A leading - sorts descending. Default: newest round first'),
  ...pageQuery.shape,
});
export type GrantListQuery = z.infer<typeof grantListQuery>;

// ---- the HTML forms: the API's schemas above, with kroner as people type them where the API takes
// øre, and the version a form was opened at always sent.
const formVersion = grantTransition.shape.version;

export const roundForm = roundInput
  .omit({ budgetOre: true, municipalityCode: true, description: true, targetGroupIds: true, criteria: true })
  .extend({ budget: kronerFor(roundInput.shape.budgetOre) });

export const applicationForm = grantCreate
  .omit({ requestedOre: true })
  .extend({ requested: kronerFor(grantCreate.shape.requestedOre) });

/** The award: the whole on one target group (wholeTo), or split in lines. An unticked box is false. */
export const awardForm = grantTransition.pick({ version: true, decisionOn: true }).extend({
  awarded: kronerFor(grantTransition.shape.awardedOre.unwrap()),
  wholeTo: grantTransition.shape.targetGroupId,
  lines: z
    .array(allocationInput.omit({ amountOre: true }).extend({ amount: kronerFor(allocationInput.shape.amountOre) }))
    .max(MAX_ALLOCATIONS)
    .default([]),
  overrideBudget: grantTransition.shape.overrideBudget.unwrap(),
});

export const paymentForm = paymentInput
  .omit({ amountOre: true })
  .extend({ version: formVersion, amount: kronerFor(paymentInput.shape.amountOre) });

export const reportForm = grantPatch
  .pick({ reportReceivedOn: true })
  .extend({ version: formVersion, auditorEndorsed: grantPatch.shape.auditorEndorsed.unwrap() });

export const transitionForm = grantTransition.pick({ to: true, version: true });

/** Editing a round: the new round's form, the version read, and a date cleared is cleared (null). */
export const roundEditForm = roundForm.extend({
  version: formVersion,
  applicationsOpenOn: roundInput.shape.applicationsOpenOn.unwrap().default(null),
  applicationsCloseOn: roundInput.shape.applicationsCloseOn.unwrap().default(null),
  decisionOn: roundInput.shape.decisionOn.unwrap().default(null),
  reportDueOn: roundInput.shape.reportDueOn.unwrap().default(null),
  description: roundInput.shape.description.unwrap().default(null),
  targetGroupIds: roundInput.shape.targetGroupIds.unwrap().default([]),
  criteria: roundInput.shape.criteria.unwrap().default([]),
});

/**
 * Editing a grant: grantPatch's details, a text or date cleared (or not sent) is cleared (null). The page picks the
 * fields the grant's status still allows (editableGrantFields), so only those are read.
 */
export const grantEditForm = z.object({
  version: formVersion,
  title: grantCreate.shape.title,
  purpose: grantCreate.shape.purpose.unwrap().default(null),
  inKindDescription: grantCreate.shape.inKindDescription.unwrap().default(null),
  requested: kronerFor(grantCreate.shape.requestedOre),
  periodStart: grantCreate.shape.periodStart.unwrap().default(null),
  periodEnd: grantCreate.shape.periodEnd.unwrap().default(null),
  externalRef: grantCreate.shape.externalRef.unwrap().default(null),
  caseHandlerId: grantCreate.shape.caseHandlerId.unwrap().default(null),
  reportDueOn: grantPatch.shape.reportDueOn.unwrap(),
});
