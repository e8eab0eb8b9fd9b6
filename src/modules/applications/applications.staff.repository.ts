import { and, asc, eq, inArray, ne, type SQL, sql } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { Queryable } from '../../db/client.ts';
import { builtOnce } from '../../db/prepared.ts';
import { actors, applications, grantRounds } from '../../db/schema/index.ts';
import { nextVersionNow } from '../../db/versions.ts';
import { similarNameCondition } from '../actors/actors.repository.ts';
import { overdueCondition } from '../grants/grants.repository.ts';
import type { ApplicationRow } from './applications.repository.ts';
import { UNDECIDED_STATUSES } from './applications.rules.ts';

/**
 * The staff side's reads and writes of applications (issue 21): a round's inbox, one application
 * with its round's municipality, and the two changes staff make here (its actor, the start of its
 * review). A draft is the applicant's alone: no statement here ever returns one.
 */
export type StaffStatus = Exclude<ApplicationRow['status'], 'draft'>;

const matched = alias(actors, 'matched');

/** The applicant's name as the registry would know it: the organisation's, or the group's. */
const applicantName = sql`coalesce(${applications.organisationName}, ${applications.groupName})`;

/** The registry's actors that may be the applicant: the same CVR number, or a similar name. */
const proposedExists = sql<boolean>`exists (select 1 from ${actors} where (${applications.cvr} is not null and ${actors.cvr} = ${applications.cvr}) or ${similarNameCondition(applicantName)})`;

/**
 * An overdue report from an earlier grant: of the matched actor, or (not yet matched) of the actor
 * with the application's CVR number.
 */
const overdueExists = sql<boolean>`exists (select 1 from grants where grants.actor_id = coalesce(${applications.actorId}, (select ${actors.id} from ${actors} where ${actors.cvr} = ${applications.cvr} limit 1)) and ${overdueCondition})`;

/** How many of a round's applications are in each status (drafts not counted). */
export async function inboxCounts(db: Queryable, roundId: number): Promise<Map<StaffStatus, number>> {
  const rows = await db
    .select({ status: applications.status, n: sql<number>`count(*)::int` })
    .from(applications)
    .where(and(eq(applications.roundId, roundId), ne(applications.status, 'draft')))
    .groupBy(applications.status);
  return new Map(rows.map((r) => [r.status as StaffStatus, Number(r.n)]));
}

export interface InboxRow {
  id: number;
  status: StaffStatus;
  applicantKind: ApplicationRow['applicantKind'];
  organisationName: string | null;
  groupName: string | null;
  projectTitle: string | null;
  appliedOre: number | null;
  submittedAt: Date | null;
  actorId: number | null;
  actorName: string | null;
  proposed: boolean;
  overdue: boolean;
}

/** One page of a round's applications in the statuses given, oldest sent first. */
export async function inboxPage(
  db: Queryable,
  roundId: number,
  statuses: StaffStatus[],
  page: { limit: number; offset: number },
): Promise<InboxRow[]> {
  const rows = await db
    .select({
      id: applications.id,
      status: applications.status,
      applicantKind: applications.applicantKind,
      organisationName: applications.organisationName,
      groupName: applications.groupName,
      projectTitle: applications.projectTitle,
      appliedOre: applications.appliedOre,
      submittedAt: applications.submittedAt,
      actorId: applications.actorId,
      actorName: matched.name,
      proposed: sql<boolean>`(${applications.actorId} is null and ${proposedExists})`,
      overdue: overdueExists,
    })
    .from(applications)
    .leftJoin(matched, eq(matched.id, applications.actorId))
    .where(and(eq(applications.roundId, roundId), inArray(applications.status, statuses)))
    .orderBy(asc(applications.submittedAt), asc(applications.id))
    .limit(page.limit)
    .offset(page.offset);
  return rows as InboxRow[];
}

/**
 * An application that is not a draft, with its round's name and municipality; undefined otherwise.
 * The one lookup of a single application on the staff side (inbox, questions, decision).
 */
export async function sentApplication(
  db: Queryable,
  id: number,
  forUpdate = false,
): Promise<{ application: ApplicationRow; municipalityCode: number; roundName: string } | undefined> {
  const q = db
    .select({ application: applications, municipalityCode: grantRounds.municipalityCode, roundName: grantRounds.name })
    .from(applications)
    .innerJoin(grantRounds, eq(grantRounds.id, applications.roundId))
    .where(and(eq(applications.id, id), ne(applications.status, 'draft')));
  const [row] = forUpdate ? await q.for('update', { of: applications }) : await q;
  return row;
}

/** The registry's actors with this CVR number (at most one: the registry refuses a second). */
export async function actorsWithCvr(db: Queryable, cvr: string) {
  return db
    .select({ id: actors.id, name: actors.name, cvr: actors.cvr, status: actors.status })
    .from(actors)
    .where(eq(actors.cvr, cvr))
    .orderBy(asc(actors.id));
}

export async function actorSummary(db: Queryable, id: number) {
  const [row] = await db
    .select({ id: actors.id, name: actors.name, cvr: actors.cvr, status: actors.status })
    .from(actors)
    .where(eq(actors.id, id));
  return row;
}

/** Sets the application's actor from the version read, while it is undecided; undefined otherwise. */
export async function setActorIfVersion(
  db: Queryable,
  id: number,
  version: number,
  actorId: number,
): Promise<ApplicationRow | undefined> {
  const [row] = await db
    .update(applications)
    .set({ actorId, ...nextVersionNow(applications) })
    .where(
      and(
        eq(applications.id, id),
        eq(applications.version, version),
        inArray(applications.status, [...UNDECIDED_STATUSES]),
      ),
    )
    .returning();
  return row;
}

/** Moves a new application into review, from the version read; undefined when stale or not new. */
export async function startReviewIfVersion(
  db: Queryable,
  id: number,
  version: number,
): Promise<ApplicationRow | undefined> {
  const [row] = await db
    .update(applications)
    .set({ status: 'under_review', ...nextVersionNow(applications) })
    .where(and(eq(applications.id, id), eq(applications.version, version), eq(applications.status, 'submitted')))
    .returning();
  return row;
}

/** How many applications of the round are new (sent, not yet in review). */
export async function newCount(db: Queryable, roundId: number): Promise<number> {
  const [row] = await newInRound(db, { roundId });
  return Number(row?.n ?? 0);
}

/** Counted on each request of a round's page by its municipality's users: built once (db/prepared.ts). */
const newInRound = builtOnce<{ roundId: number }, { n: number }[]>('new_applications_in_round', (db) =>
  db
    .select({ n: sql<number>`count(*)::int` })
    .from(applications)
    .where(and(eq(applications.roundId, sql.placeholder('roundId')), eq(applications.status, 'submitted'))),
);

/**
 * A page of a municipality's sent applications for the API, with the total, in one statement:
 * of one round and in some statuses when asked.
 */
export async function apiPage(
  db: Queryable,
  filter: { municipalityCode: number; roundId?: number; statuses?: StaffStatus[] },
  page: { limit: number; offset: number },
): Promise<{ rows: ApplicationRow[]; total: number }> {
  const where: SQL[] = [eq(grantRounds.municipalityCode, filter.municipalityCode), ne(applications.status, 'draft')];
  if (filter.roundId !== undefined) where.push(eq(applications.roundId, filter.roundId));
  if (filter.statuses) where.push(inArray(applications.status, filter.statuses));
  const rows = await db
    .select({ application: applications, total: sql<number>`count(*) over ()::int` })
    .from(applications)
    .innerJoin(grantRounds, eq(grantRounds.id, applications.roundId))
    .where(and(...where))
    .orderBy(asc(applications.submittedAt), asc(applications.id))
    .limit(page.limit)
    .offset(page.offset);
  if (rows.length || page.offset === 0)
    return { rows: rows.map((r) => r.application), total: Number(rows[0]?.total ?? 0) };
  // A page beyond the last: the total still counts.
  const [all] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(applications)
    .innerJoin(grantRounds, eq(grantRounds.id, applications.roundId))
    .where(and(...where));
  return { rows: [], total: Number(all?.n ?? 0) };
}
