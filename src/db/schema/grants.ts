import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  check,
  date,
  index,
  integer,
  pgEnum,
  pgTable,
  primaryKey,
  serial,
  smallint,
  text,
  timestamp,
  uniqueIndex,
} from 'drizzle-orm/pg-core';
import { MAX_OERE } from '../../lib/money.ts';
import { users } from './accounts.ts';
import { actors } from './actors.ts';
import { municipalities, targetGroups } from './reference.ts';

export const grantRoundStatusEnum = pgEnum('grant_round_status', ['planned', 'open', 'closed', 'decided']);
export const grantKindEnum = pgEnum('grant_kind', ['money', 'in_kind']);
export const grantStatusEnum = pgEnum('grant_status', [
  'applied',
  'approved',
  'rejected',
  'withdrawn',
  'paid',
  'accounted',
  'closed',
]);
export const paymentKindEnum = pgEnum('grant_payment_kind', ['payment', 'repayment']);

const oere = (name: string) => bigint(name, { mode: 'number' });
/** The largest single amount: 1.000.000.000 kr. in øre, as MAX_OERE in src/lib/money.ts (which explains it). */
const maxOre = sql.raw(String(MAX_OERE));

/** A municipality's yearly § 18 pool (§ 18-pulje). Money is integer øre. */
export const grantRounds = pgTable(
  'grant_rounds',
  {
    id: serial('id').primaryKey(),
    municipalityCode: smallint('municipality_code')
      .notNull()
      .references(() => municipalities.code),
    year: smallint('year').notNull(),
    name: text('name').notNull(),
    budgetOre: oere('budget_ore').notNull(),
    applicationsOpenOn: date('applications_open_on'),
    applicationsCloseOn: date('applications_close_on'),
    decisionOn: date('decision_on'),
    /** When the grants' reports are due; unset means 1 June of the following year. */
    reportDueOn: date('report_due_on'),
    status: grantRoundStatusEnum('status').notNull().default('planned'),
    /** What the round is for, as the public round page shows it. */
    description: text('description'),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('grant_rounds_name_uq').on(t.municipalityCode, t.year, t.name),
    check('grant_rounds_budget_ck', sql`${t.budgetOre} >= 0`),
    check('grant_rounds_budget_max_ck', sql`${t.budgetOre} <= ${maxOre}`),
  ],
);

/** The target groups a round gives priority to (FFB groups, or local ones). */
export const grantRoundTargetGroups = pgTable(
  'grant_round_target_groups',
  {
    roundId: integer('round_id')
      .notNull()
      .references(() => grantRounds.id, { onDelete: 'cascade' }),
    targetGroupId: integer('target_group_id')
      .notNull()
      .references(() => targetGroups.id),
  },
  (t) => [
    primaryKey({ columns: [t.roundId, t.targetGroupId] }),
    index('grant_round_target_groups_group_idx').on(t.targetGroupId),
  ],
);

/**
 * A round's criteria, in order: what applications are judged by. Each keeps its id while the round
 * is edited, so scores given per criterion stay attached to it.
 */
export const grantRoundCriteria = pgTable(
  'grant_round_criteria',
  {
    id: serial('id').primaryKey(),
    roundId: integer('round_id')
      .notNull()
      .references(() => grantRounds.id, { onDelete: 'cascade' }),
    position: smallint('position').notNull(),
    title: text('title').notNull(),
    description: text('description'),
  },
  (t) => [
    index('grant_round_criteria_round_idx').on(t.roundId, t.position),
    check('grant_round_criteria_position_ck', sql`${t.position} >= 1`),
  ],
);

/** A § 18 grant (bevilling) to one actor from one round. */
export const grants = pgTable(
  'grants',
  {
    id: serial('id').primaryKey(),
    roundId: integer('round_id')
      .notNull()
      .references(() => grantRounds.id),
    actorId: integer('actor_id')
      .notNull()
      .references(() => actors.id),
    title: text('title').notNull(),
    purpose: text('purpose'),
    kind: grantKindEnum('kind').notNull().default('money'),
    inKindDescription: text('in_kind_description'),
    requestedOre: oere('requested_ore').notNull(),
    awardedOre: oere('awarded_ore'),
    decisionOn: date('decision_on'),
    periodStart: date('period_start'),
    periodEnd: date('period_end'),
    status: grantStatusEnum('status').notNull().default('applied'),
    reportDueOn: date('report_due_on').notNull(),
    reportReceivedOn: date('report_received_on'),
    auditorEndorsed: boolean('auditor_endorsed').notNull().default(false),
    /** Finance confirmed an award beyond the round's remaining budget. */
    budgetOverride: boolean('budget_override').notNull().default(false),
    /** The municipality's own reference (case number) from an imported list: a re-import finds it. */
    externalRef: text('external_ref'),
    /** The grant's case handler (sagsbehandler): an active finance user or coordinator of its municipality. */
    caseHandlerId: integer('case_handler_id').references(() => users.id),
    /**
     * The title, purpose and case number folded as names are (samspil_norm), for the list's free text:
     * folded once as written, not for every grant each time someone searches.
     */
    textNorm: text('text_norm')
      .notNull()
      .generatedAlwaysAs(sql`samspil_norm(title || ' ' || coalesce(purpose, '') || ' ' || coalesce(external_ref, ''))`),
    /**
     * Its payments less its repayments, in øre: kept by a trigger on grant_payments (migration 0038)
     * and checked against them at commit, so that a list's paid column and totals read the grants
     * alone instead of looking up each one's payments (issue 17).
     */
    paidOre: oere('paid_ore').notNull().default(0),
    version: integer('version').notNull().default(1),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('grants_round_idx').on(t.roundId, t.status),
    index('grants_actor_idx').on(t.actorId),
    index('grants_text_norm_trgm_idx').using('gin', t.textNorm.op('gin_trgm_ops')),
    // The reports awaited (the home page's longest list and the reminders): approved or paid grants
    // whose report is not in, by round and due date. Small, as most reports come in; it spared the
    // 15 grants a round read and dropped for each of a municipality's rounds (issue 17).
    index('grants_reports_awaited_idx')
      .on(t.roundId, t.reportDueOn)
      .where(sql`${t.reportReceivedOn} is null and ${t.status} in ('approved', 'paid')`),
    index('grants_case_handler_idx').on(t.caseHandlerId).where(sql`${t.caseHandlerId} is not null`),
    uniqueIndex('grants_external_ref_uq').on(t.roundId, t.externalRef).where(sql`${t.externalRef} is not null`),
    check('grants_amounts_ck', sql`${t.requestedOre} >= 0 and (${t.awardedOre} is null or ${t.awardedOre} >= 0)`),
    check(
      'grants_amounts_max_ck',
      sql`${t.requestedOre} <= ${maxOre} and (${t.awardedOre} is null or ${t.awardedOre} <= ${maxOre})`,
    ),
  ],
);

/** How a grant's award is split across target groups; the lines add up to the award exactly. */
export const grantAllocations = pgTable(
  'grant_allocations',
  {
    grantId: integer('grant_id')
      .notNull()
      .references(() => grants.id, { onDelete: 'cascade' }),
    targetGroupId: integer('target_group_id')
      .notNull()
      .references(() => targetGroups.id),
    amountOre: oere('amount_ore').notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.grantId, t.targetGroupId] }),
    index('grant_allocations_group_idx').on(t.targetGroupId),
    check('grant_allocations_amount_ck', sql`${t.amountOre} > 0`),
    check('grant_allocations_amount_max_ck', sql`${t.amountOre} <= ${maxOre}`),
  ],
);

/** Instalments paid out, and repayments of unused money. */
export const grantPayments = pgTable(
  'grant_payments',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    grantId: integer('grant_id')
      .notNull()
      .references(() => grants.id, { onDelete: 'cascade' }),
    kind: paymentKindEnum('kind').notNull().default('payment'),
    paidOn: date('paid_on').notNull(),
    amountOre: oere('amount_ore').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('grant_payments_grant_idx').on(t.grantId),
    check('grant_payments_amount_ck', sql`${t.amountOre} > 0`),
    check('grant_payments_amount_max_ck', sql`${t.amountOre} <= ${maxOre}`),
  ],
);
