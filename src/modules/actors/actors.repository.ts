import { and, asc, desc, eq, inArray, ne, type Placeholder, type SQL, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { builtOnce } from '../../db/prepared.ts';
import { actorContacts, actorMunicipalities, actors, actorTargetGroups, targetGroups } from '../../db/schema/index.ts';
import { atVersion, nextVersion, nextVersionNow } from '../../db/versions.ts';
import { type AgreementSummary, actorAgreementsJson } from '../agreements/agreements.repository.ts';
import { AWARDED } from '../grants/grants.repository.ts';
import { actorOutreachJson, type OutreachShownRow, outreachOfRow } from '../outreach/outreach.repository.ts';
import type { Outreach } from '../outreach/outreach.schemas.ts';
import type { Actor, ContactInput, SimilarActor } from './actors.schemas.ts';

export type ActorRow = typeof actors.$inferSelect;
type ActorValues = Omit<
  typeof actors.$inferInsert,
  'id' | 'version' | 'createdAt' | 'updatedAt' | 'nameNorm' | 'searchVector'
>;

/** The columns of an actor, with its municipalities and target groups folded into arrays. */
export const listColumns = {
  id: actors.id,
  name: actors.name,
  cvr: actors.cvr,
  orgType: actors.orgType,
  roles: actors.roles,
  underServiceAct: actors.underServiceAct,
  description: actors.description,
  website: actors.website,
  email: actors.email,
  phone: actors.phone,
  address: actors.address,
  homeMunicipalityCode: actors.homeMunicipalityCode,
  municipalityCodes: sql<
    number[]
  >`array(select am.municipality_code::int from ${actorMunicipalities} am where am.actor_id = "actors"."id" order by 1)`,
  targetGroupIds: sql<
    number[]
  >`array(select atg.target_group_id from ${actorTargetGroups} atg where atg.actor_id = "actors"."id" order by 1)`,
  status: actors.status,
  version: actors.version,
  createdAt: actors.createdAt,
  updatedAt: actors.updatedAt,
};

/**
 * An actor as a list or a menu shows it: without its description, contact details and areas, which
 * only the JSON list gives (two subqueries and the longest texts of each row, read for nothing).
 */
export const summaryColumns = {
  id: actors.id,
  name: actors.name,
  cvr: actors.cvr,
  orgType: actors.orgType,
  roles: actors.roles,
  homeMunicipalityCode: actors.homeMunicipalityCode,
  status: actors.status,
  updatedAt: actors.updatedAt,
};

export async function findActorRow(db: Queryable, id: number, forUpdate = false): Promise<ActorRow | undefined> {
  const query = db.select().from(actors).where(eq(actors.id, id));
  const [row] = forUpdate ? await query.for('update') : await query;
  return row;
}

/** An actor's contacts, in id order, as one json column. */
const contactsColumn = sql<Actor['contacts']>`coalesce((select json_agg(json_build_object('id', c.id,
    'name', c.name, 'role', c.role, 'email', c.email, 'phone', c.phone, 'version', c.version) order by c.id)
  from ${actorContacts} c where c.actor_id = "actors"."id"), '[]'::json)`;

/** An actor with its contact persons, in one statement (the contacts as a JSON array). */
export async function loadActor(db: Queryable, id: number): Promise<Actor | undefined> {
  const [row] = await db
    .select({
      ...listColumns,
      contacts: contactsColumn,
    })
    .from(actors)
    .where(eq(actors.id, id));
  return row;
}

/**
 * Full text (Danish and folded) and part of the name, so "Kirkens Korshaer" finds "Kirkens Korshær";
 * with fuzzy, also names that look alike word by word (trigrams), so a typo such as "korshar" finds
 * it too. The trigram comparison costs some 30 ms over 5,000 actors, against 5 ms for the rest.
 */
export async function findByCvr(db: Queryable, cvr: string, excludeId?: number) {
  const [row] = await db
    .select({ id: actors.id, name: actors.name })
    .from(actors)
    .where(excludeId === undefined ? eq(actors.cvr, cvr) : and(eq(actors.cvr, cvr), ne(actors.id, excludeId)));
  return row;
}

/**
 * The duplicate guard's test: an actor's folded name is trigram-similar to `name` (an SQL value or
 * expression, such as another table's column). The rule is written once, in similarFoldedCondition.
 */
export function similarNameCondition(name: SQL): SQL {
  return similarFoldedCondition(sql`samspil_norm(${name})`);
}

/** The same rule, given the name folded already (samspil_norm's output): folded once, not per actor. */
export function similarFoldedCondition(folded: SQL): SQL {
  return sql`(${actors.nameNorm} % ${folded} and (similarity(${actors.nameNorm}, ${folded}) >= 0.45 or word_similarity(${folded}, ${actors.nameNorm}) >= 0.8))`;
}

/** Actors whose folded names are trigram-similar to the given name. */
export async function findSimilarNames(
  db: Queryable,
  name: string,
  excludeId?: number,
  limit = 5,
): Promise<SimilarActor[]> {
  // Folded once for the statement (an InitPlan), not for each actor compared in a generic plan, as the
  // registry's search does (actors.search.repository.ts): this runs as a new actor's name is typed.
  const folded = sql`(select samspil_norm(${name}))`;
  const similarity = sql<number>`similarity(${actors.nameNorm}, ${folded})`;
  const conditions = [similarFoldedCondition(folded)];
  if (excludeId !== undefined) conditions.push(ne(actors.id, excludeId));
  const rows = await db
    .select({
      id: actors.id,
      name: actors.name,
      cvr: actors.cvr,
      homeMunicipalityCode: actors.homeMunicipalityCode,
      status: actors.status,
      similarity,
    })
    .from(actors)
    .where(and(...conditions))
    .orderBy(desc(similarity), asc(actors.id))
    .limit(limit);
  return rows;
}

/**
 * The ids that are no target group, or, given a municipality, no group that municipality may use:
 * the FFB groups and its own local groups (another municipality's local groups are not its to use).
 */
export async function unknownTargetGroupIds(
  db: Queryable,
  ids: number[],
  municipalityCode?: number,
): Promise<number[]> {
  if (!ids.length) return [];
  const usable =
    municipalityCode === undefined
      ? undefined
      : sql`(${targetGroups.municipalityCode} is null or ${targetGroups.municipalityCode} = ${municipalityCode})`;
  const found = await db
    .select({ id: targetGroups.id })
    .from(targetGroups)
    .where(and(inArray(targetGroups.id, ids), usable));
  const known = new Set(found.map((r) => r.id));
  return ids.filter((id) => !known.has(id));
}

export async function insertActor(db: Queryable, values: ActorValues): Promise<ActorRow> {
  const [row] = await db.insert(actors).values(values).returning();
  if (!row) throw new Error('insert returned no row');
  return row;
}

/** Updates only when the row still has the version the caller read; returns undefined otherwise. */
export async function updateActorIfVersion(
  db: Queryable,
  id: number,
  version: number,
  values: Partial<ActorValues>,
): Promise<ActorRow | undefined> {
  const [row] = await db
    .update(actors)
    .set({ ...values, ...nextVersionNow(actors) })
    .where(atVersion(actors, id, version))
    .returning();
  return row;
}

export async function replaceActorMunicipalities(db: Queryable, actorId: number, codes: number[]): Promise<void> {
  await db.delete(actorMunicipalities).where(eq(actorMunicipalities.actorId, actorId));
  const unique = [...new Set(codes)];
  if (unique.length) {
    await db.insert(actorMunicipalities).values(unique.map((municipalityCode) => ({ actorId, municipalityCode })));
  }
}

export async function replaceActorTargetGroups(db: Queryable, actorId: number, ids: number[]): Promise<void> {
  await db.delete(actorTargetGroups).where(eq(actorTargetGroups.actorId, actorId));
  const unique = [...new Set(ids)];
  if (unique.length) {
    await db.insert(actorTargetGroups).values(unique.map((targetGroupId) => ({ actorId, targetGroupId })));
  }
}

/** The actor's contacts as they stand: id → the row (locked, in a transaction that asks). */
export async function listContacts(db: Queryable, actorId: number, forUpdate = false) {
  const query = db
    .select()
    .from(actorContacts)
    .where(eq(actorContacts.actorId, actorId))
    .orderBy(asc(actorContacts.id));
  const rows = forUpdate ? await query.for('update') : await query;
  return new Map(rows.map((r) => [r.id, r]));
}

export async function insertContact(db: Queryable, actorId: number, c: Omit<ContactInput, 'id'>): Promise<number> {
  const [row] = await db
    .insert(actorContacts)
    .values({ actorId, name: c.name, role: c.role ?? null, email: c.email ?? null, phone: c.phone ?? null })
    .returning({ id: actorContacts.id });
  if (!row) throw new Error('insert returned no row');
  return row.id;
}

/** Updates a contact when a field changed, bumping its version; returns whether it changed. */
export async function updateContact(
  db: Queryable,
  actorId: number,
  c: ContactInput & { id: number },
): Promise<boolean> {
  const values = { name: c.name, role: c.role ?? null, email: c.email ?? null, phone: c.phone ?? null };
  const changed = await db
    .update(actorContacts)
    .set({ ...values, ...nextVersion(actorContacts) })
    .where(
      and(
        eq(actorContacts.id, c.id),
        eq(actorContacts.actorId, actorId),
        sql`(${actorContacts.name}, ${actorContacts.role}, ${actorContacts.email}, ${actorContacts.phone}) is distinct from (${values.name}::text, ${values.role}::text, ${values.email}::text, ${values.phone}::text)`,
      ),
    )
    .returning({ id: actorContacts.id });
  return changed.length > 0;
}

export async function deleteContacts(db: Queryable, actorId: number, ids: number[]): Promise<void> {
  if (ids.length) {
    await db.delete(actorContacts).where(and(eq(actorContacts.actorId, actorId), inArray(actorContacts.id, ids)));
  }
}

export async function findContact(db: Queryable, actorId: number, contactId: number) {
  const [row] = await db
    .select()
    .from(actorContacts)
    .where(and(eq(actorContacts.id, contactId), eq(actorContacts.actorId, actorId)));
  return row;
}

/** Replaces a contact's personal data with a neutral placeholder, keeping the row and its id. */
export async function anonymiseContact(db: Queryable, contactId: number, placeholder: string): Promise<void> {
  await db
    .update(actorContacts)
    .set({ name: placeholder, role: null, email: null, phone: null, ...nextVersion(actorContacts) })
    .where(eq(actorContacts.id, contactId));
}

export async function namesByIds(db: Queryable, ids: number[]): Promise<Map<number, string>> {
  if (!ids.length) return new Map();
  const rows = await db.select({ id: actors.id, name: actors.name }).from(actors).where(inArray(actors.id, ids));
  return new Map(rows.map((r) => [r.id, r.name]));
}

/**
 * Municipalities that work with an actor beyond where it says it works (the contact rule in
 * src/lib/policy.ts): an active agreement in its period on `today`, or a grant awarded (above zero)
 * and decided on or after `grantsDecidedFrom`. Each grant's round is looked up by its key: joined,
 * PostgreSQL's generic plan hashed all the rounds for an actor's few grants (0.15 ms of 0.25).
 */
function cooperatingCodes(
  actorId: SQL | number,
  dates: { today: string | Placeholder; grantsDecidedFrom: string | Placeholder },
): SQL {
  return sql`
      select a.municipality_code as code from agreement_actors aa join agreements a on a.id = aa.agreement_id
        where aa.actor_id = ${actorId} and a.status = 'active'
          and a.starts_on <= ${dates.today}::date and (a.ends_on is null or a.ends_on >= ${dates.today}::date)
      union
      select (select r.municipality_code from grant_rounds r where r.id = g.round_id) from grants g
        where g.actor_id = ${actorId} and g.status in ${AWARDED}
          and g.awarded_ore > 0 and g.decision_on >= ${dates.grantsDecidedFrom}::date`;
}

export async function cooperatingMunicipalities(
  db: Queryable,
  actorId: number,
  dates: { today: string; grantsDecidedFrom: string },
): Promise<number[]> {
  const found = await rows<{ code: number }>(db, cooperatingCodes(actorId, dates));
  return found.map((r) => r.code);
}

/**
 * An actor as its page shows it: the actor with its contacts, where it was merged into (if it was),
 * and the municipalities that work with it (cooperatingMunicipalities).
 */
const toShowColumns = () => ({
  ...listColumns,
  contacts: contactsColumn,
  mergedIntoId: actors.mergedIntoId,
  cooperatingCodes: sql<number[]>`array(${cooperatingCodes(sql`"actors"."id"`, {
    today: sql.placeholder('today'),
    grantsDecidedFrom: sql.placeholder('grantsDecidedFrom'),
  })})`,
});

/** The API's actor: the actor with what toShowColumns adds, in one statement. */
const actorToShow = builtOnce<
  { id: number; today: string; grantsDecidedFrom: string },
  (Actor & { mergedIntoId: number | null; cooperatingCodes: number[] })[]
>('actor_to_show', (db) =>
  db
    .select(toShowColumns())
    .from(actors)
    .where(eq(actors.id, sql.placeholder('id'))),
);

export async function loadActorToShow(
  db: Queryable,
  id: number,
  dates: { today: string; grantsDecidedFrom: string },
): Promise<(Actor & { mergedIntoId: number | null; cooperatingCodes: number[] }) | undefined> {
  const [row] = await actorToShow(db, { id, ...dates });
  return row;
}

type ActorPageRow = Actor & {
  mergedIntoId: number | null;
  cooperatingCodes: number[];
  agreements: AgreementSummary[];
  outreach: OutreachShownRow[];
};

/**
 * The actor as its page shows it (actorToShow), with its agreements and its outreach as their own
 * lists give them, in one statement: on their own, each was a round trip (a socket write, a wake-up
 * of PostgreSQL, an answer to read) for a few hundredths of a millisecond of PostgreSQL's work. Five
 * statements a page became three; the page's app CPU went down 4–11 % (issue 17, bench/PAGE-COSTS.md).
 */
const actorPage = builtOnce<
  { id: number; today: string; grantsDecidedFrom: string; agreementsLimit: number },
  ActorPageRow[]
>('actor_show_page', (db) =>
  db
    .select({
      ...toShowColumns(),
      agreements: sql<
        AgreementSummary[]
      >`${actorAgreementsJson(sql`"actors"."id"`, sql.placeholder('agreementsLimit'))}`,
      outreach: sql<ActorPageRow['outreach']>`${actorOutreachJson(sql`"actors"."id"`)}`,
    })
    .from(actors)
    .where(eq(actors.id, sql.placeholder('id'))),
);

/** The actor with its agreements (at most `agreementsLimit`) and its outreach, for its page. */
export async function loadActorPage(
  db: Queryable,
  id: number,
  dates: { today: string; grantsDecidedFrom: string },
  agreementsLimit: number,
): Promise<(Omit<ActorPageRow, 'outreach'> & { outreach: Outreach[] }) | undefined> {
  const [row] = await actorPage(db, { id, ...dates, agreementsLimit });
  return row && { ...row, outreach: row.outreach.map(outreachOfRow) };
}
