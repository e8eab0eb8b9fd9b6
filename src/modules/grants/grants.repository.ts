import { and, eq, getTableColumns, inArray, type SQL, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { grantAllocations, grantPayments, type grantRounds, grants, users } from '../../db/schema/index.ts';
import { atVersion, nextVersionNow } from '../../db/versions.ts';
import { oreSum } from '../../lib/money.ts';
import { awardedStatuses } from './grants.rules.ts';

export type RoundRow = typeof grantRounds.$inferSelect;
/**
 * A grant as stored, without its folded text (a search aid, not part of the grant) and without the
 * sum paid kept from its payments (the payments are the grant's; the sum is read where lists add up).
 */
export type GrantRow = Omit<typeof grants.$inferSelect, 'textNorm' | 'paidOre'>;
/** A grant's columns as read and returned: all but those two, which the audit trail does not repeat. */
const { textNorm: _folded, paidOre: _kept, ...grantColumns } = getTableColumns(grants);

/**
 * Statuses in which a grant's award counts: against the round's budget, in the reports, and in the
 * municipalities that may see an actor's contacts. The one definition (the rule's list, as SQL).
 */
export const AWARDED = sql.raw(`(${awardedStatuses.map((s) => `'${s}'`).join(', ')})`);

/** A grant as lists and pages show it: its row, its round, and its allocations and payments. */
export interface GrantWithParts {
  grant: GrantRow;
  municipalityCode: number;
  roundName: string;
  roundYear: number;
  /** The actor's name and CVR, for the list's columns and its export. */
  actorName: string;
  actorCvr: string | null;
  allocations: { targetGroupId: number; amountOre: number }[];
  payments: PaymentLine[];
}

export interface PaymentLine {
  id: number;
  kind: 'payment' | 'repayment';
  paidOn: string;
  amountOre: number;
}

/**
 * Grants with their round, and their allocations and payments as JSON arrays in the same row: a page
 * of grants is one statement instead of three. Written out by hand and mapped plainly, as pages list
 * fifty at a time (drizzle's mapping cost 2 ms of the grant list's 11 here).
 */
export function grantsWithParts(where: SQL | undefined, tail: SQL = sql``): SQL {
  return sql`select grants.id as id, grants.round_id as round_id, grants.actor_id as actor_id, grants.title as title,
      grants.purpose as purpose, grants.kind as kind, grants.in_kind_description as in_kind_description,
      grants.requested_ore as requested_ore, grants.awarded_ore as awarded_ore, grants.decision_on::text as decision_on,
      grants.period_start::text as period_start, grants.period_end::text as period_end, grants.status as status,
      grants.report_due_on::text as report_due_on, grants.report_received_on::text as report_received_on,
      grants.auditor_endorsed as auditor_endorsed, grants.budget_override as budget_override,
      grants.external_ref as external_ref, grants.case_handler_id as case_handler_id, grants.version as version, grants.created_at as created_at,
      grants.updated_at as updated_at,
      grant_rounds.municipality_code as municipality_code, grant_rounds.name as round_name, grant_rounds.year as round_year,
      actors.name as actor_name, actors.cvr as actor_cvr,
      coalesce((select json_agg(json_build_object('targetGroupId', a.target_group_id, 'amountOre', a.amount_ore)
          order by a.target_group_id) from grant_allocations a where a.grant_id = grants.id), '[]'::json) as allocations,
      coalesce((select json_agg(json_build_object('id', p.id, 'kind', p.kind, 'paidOn', p.paid_on, 'amountOre', p.amount_ore)
          order by p.paid_on, p.id) from grant_payments p where p.grant_id = grants.id), '[]'::json) as payments
    from grants join grant_rounds on grant_rounds.id = grants.round_id join actors on actors.id = grants.actor_id
    ${where ? sql`where ${where}` : sql``} ${tail}`;
}

const ore = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const dateOf = (v: unknown) => (v instanceof Date ? v : new Date(String(v)));

/** The columns of a grant that the list pages show too, from a row of grantsWithParts or grantsListed. */
export function shownColumnsOf(r: Record<string, unknown>) {
  return {
    id: Number(r.id),
    roundId: Number(r.round_id),
    actorId: Number(r.actor_id),
    title: String(r.title),
    kind: r.kind as GrantRow['kind'],
    requestedOre: Number(r.requested_ore),
    awardedOre: ore(r.awarded_ore),
    decisionOn: (r.decision_on as string | null) ?? null,
    status: r.status as GrantRow['status'],
    reportDueOn: String(r.report_due_on),
    reportReceivedOn: (r.report_received_on as string | null) ?? null,
  };
}

/** A row's round and actor, as both statements read them. */
export function roundAndActorOf(r: Record<string, unknown>) {
  return {
    municipalityCode: Number(r.municipality_code),
    roundName: String(r.round_name),
    roundYear: Number(r.round_year),
    actorName: String(r.actor_name),
    actorCvr: (r.actor_cvr as string | null) ?? null,
  };
}

export function withPartsOf(found: Record<string, unknown>[]): GrantWithParts[] {
  return found.map((r) => ({
    grant: {
      ...shownColumnsOf(r),
      purpose: (r.purpose as string | null) ?? null,
      inKindDescription: (r.in_kind_description as string | null) ?? null,
      periodStart: (r.period_start as string | null) ?? null,
      periodEnd: (r.period_end as string | null) ?? null,
      auditorEndorsed: Boolean(r.auditor_endorsed),
      budgetOverride: Boolean(r.budget_override),
      externalRef: (r.external_ref as string | null) ?? null,
      caseHandlerId: r.case_handler_id === null || r.case_handler_id === undefined ? null : Number(r.case_handler_id),
      version: Number(r.version),
      createdAt: dateOf(r.created_at),
      updatedAt: dateOf(r.updated_at),
    },
    ...roundAndActorOf(r),
    // json, parsed by both drivers (db/driver-types.ts).
    allocations: (r.allocations as GrantWithParts['allocations']).map((a) => ({
      targetGroupId: Number(a.targetGroupId),
      amountOre: Number(a.amountOre),
    })),
    payments: (r.payments as GrantWithParts['payments']).map((p) => ({
      id: Number(p.id),
      kind: p.kind,
      paidOn: p.paidOn,
      amountOre: Number(p.amountOre),
    })),
  }));
}

/** One grant with its round, allocations and payments, in one statement. */
export async function findGrantWithParts(db: Queryable, id: number): Promise<GrantWithParts | undefined> {
  return withPartsOf(await rows(db, grantsWithParts(eq(grants.id, id))))[0];
}

export async function findGrant(db: Queryable, id: number, forUpdate = false): Promise<GrantRow | undefined> {
  const q = db.select(grantColumns).from(grants).where(eq(grants.id, id));
  const [row] = forUpdate ? await q.for('update') : await q;
  return row;
}

export async function insertGrant(db: Queryable, values: typeof grants.$inferInsert): Promise<GrantRow> {
  const [row] = await db.insert(grants).values(values).returning(grantColumns);
  if (!row) throw new Error('insert returned no row');
  return row;
}

export async function updateGrantIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: Partial<typeof grants.$inferInsert>,
): Promise<GrantRow | undefined> {
  const [row] = await db
    .update(grants)
    .set({ ...values, ...nextVersionNow(grants) })
    .where(atVersion(grants, id, version))
    .returning(grantColumns);
  return row;
}

export async function replaceAllocations(
  db: Queryable,
  grantId: number,
  lines: { targetGroupId: number; amountOre: number }[],
): Promise<void> {
  await db.delete(grantAllocations).where(eq(grantAllocations.grantId, grantId));
  if (lines.length) await db.insert(grantAllocations).values(lines.map((l) => ({ grantId, ...l })));
}

export async function replacePayments(
  db: Queryable,
  grantId: number,
  lines: { kind: 'payment' | 'repayment'; paidOn: string; amountOre: number }[],
): Promise<void> {
  await db.delete(grantPayments).where(eq(grantPayments.grantId, grantId));
  if (lines.length) await db.insert(grantPayments).values(lines.map((l) => ({ grantId, ...l })));
}

/** Adds one instalment or repayment to a grant's payments. */
export async function insertPayment(
  db: Queryable,
  grantId: number,
  line: { kind: 'payment' | 'repayment'; paidOn: string; amountOre: number },
): Promise<void> {
  await db.insert(grantPayments).values({ grantId, ...line });
}

/** One of a grant's payments, locked for a correction. */
export async function findPayment(db: Queryable, grantId: number, paymentId: number): Promise<PaymentLine | undefined> {
  const [row] = await db
    .select({
      id: grantPayments.id,
      kind: grantPayments.kind,
      paidOn: grantPayments.paidOn,
      amountOre: grantPayments.amountOre,
    })
    .from(grantPayments)
    .where(and(eq(grantPayments.grantId, grantId), eq(grantPayments.id, paymentId)))
    .for('update');
  return row;
}

/** Corrects one payment's kind, date and amount. */
export async function updatePayment(
  db: Queryable,
  paymentId: number,
  line: { kind: 'payment' | 'repayment'; paidOn: string; amountOre: number },
): Promise<void> {
  await db.update(grantPayments).set(line).where(eq(grantPayments.id, paymentId));
}

/** The grant in a round that has the case number, other than the one given. */
export async function grantWithCaseNumber(
  db: Queryable,
  roundId: number,
  externalRef: string,
  exceptId = 0,
): Promise<number | undefined> {
  const [row] = await db
    .select({ id: grants.id })
    .from(grants)
    .where(and(eq(grants.roundId, roundId), eq(grants.externalRef, externalRef), sql`${grants.id} <> ${exceptId}`));
  return row?.id;
}

/**
 * A grant's payments less its repayments, in øre: the sum kept on the grant, which the payments'
 * trigger moves with each write and the commit checks against them (migration 0038).
 */
export async function netPaidOre(db: Queryable, grantId: number): Promise<number> {
  const [row] = await db.select({ paid: grants.paidOre }).from(grants).where(eq(grants.id, grantId));
  return Number(row?.paid ?? 0);
}

/**
 * Overdue: due before today, not received, and the money awarded; today in Danish time, as the
 * badge's rule counts it (grants.rules.ts). `current_date` is the session's time zone's day: on a
 * server in UTC, the day before for an hour or two after Danish midnight.
 */
export const overdueCondition = sql`(${grants.reportDueOn} < (now() at time zone 'Europe/Copenhagen')::date and ${grants.reportReceivedOn} is null and ${grants.status} in ('approved', 'paid'))`;

export async function actorHasOverdueReport(db: Queryable, actorId: number): Promise<boolean> {
  const [row] = await db
    .select({ id: grants.id })
    .from(grants)
    .where(and(eq(grants.actorId, actorId), overdueCondition))
    .limit(1);
  return row !== undefined;
}

export interface GroupTotal {
  targetGroupId: number;
  /** Sums as decimal strings of øre. */
  awardedOre: string;
  paidOre: string;
  grants: number;
}

/**
 * A round's awards by target group, rolled up the tree: an allocation to a sub-group counts for the
 * sub-group and for each of its ancestors exactly once. Payments are shared out in proportion to
 * each grant's allocation lines (rounded to the øre).
 */
export async function roundByTargetGroup(db: Queryable, roundId: number): Promise<GroupTotal[]> {
  const result = await rows(
    db,
    sql`
    with recursive ancestry(group_id, ancestor_id) as (
      select id, id from target_groups
      union all
      select a.group_id, tg.parent_id from ancestry a join target_groups tg on tg.id = a.ancestor_id
      where tg.parent_id is not null
    ),
    round_grants as (
      select id, awarded_ore, paid_ore from grants where round_id = ${roundId} and status in ${AWARDED}
    )
    select a.ancestor_id as target_group_id,
           sum(ga.amount_ore)::text as awarded_ore,
           round(sum(g.paid_ore::numeric * ga.amount_ore / nullif(g.awarded_ore, 0)))::text as paid_ore,
           count(distinct g.id)::int as grants
    from round_grants g
    join grant_allocations ga on ga.grant_id = g.id
    join ancestry a on a.group_id = ga.target_group_id
    group by a.ancestor_id`,
  );
  return result.map(
    (r): GroupTotal => ({
      targetGroupId: Number(r.target_group_id),
      awardedOre: oreSum(r.awarded_ore).toString(),
      paidOre: oreSum(r.paid_ore).toString(),
      grants: Number(r.grants),
    }),
  );
}

/**
 * A user as a grant's case handler is checked: their role, municipality and whether they are active.
 * `lock` holds the user's row (for share) to the end of the transaction: a deactivation waits for it.
 */
export async function findCaseHandler(db: Queryable, userId: number, lock = false) {
  const q = db
    .select({
      id: users.id,
      name: users.name,
      role: users.role,
      municipalityCode: users.municipalityCode,
      active: users.active,
    })
    .from(users)
    .where(eq(users.id, userId));
  const [row] = lock ? await q.for('share') : await q;
  return row;
}

/** Who can be a grant's case handler in a municipality: its active finance users and coordinators, by name. */
export async function caseHandlerCandidates(db: Queryable, municipalityCode: number) {
  return db
    .select({ id: users.id, name: users.name, role: users.role })
    .from(users)
    .where(
      and(
        eq(users.municipalityCode, municipalityCode),
        eq(users.active, true),
        inArray(users.role, ['finance', 'coordinator']),
      ),
    )
    .orderBy(users.name, users.id);
}
