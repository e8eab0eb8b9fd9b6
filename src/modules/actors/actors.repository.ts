import { and, asc, count, desc, eq, inArray, ne, type SQL, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { actorContacts, actorMunicipalities, actors, actorTargetGroups, targetGroups } from '../../db/schema/index.ts';
import { AWARDED } from '../grants/grants.repository.ts';
import { subtreeIds } from '../target-groups/target-groups.repository.ts';
import type { Actor, ActorListItem, ActorListQuery, ContactInput, SimilarActor } from './actors.schemas.ts';

export type ActorRow = typeof actors.$inferSelect;
type ActorValues = Omit<
  typeof actors.$inferInsert,
  'id' | 'version' | 'createdAt' | 'updatedAt' | 'nameNorm' | 'searchVector'
>;

/** The columns of an actor, with its municipalities and target groups folded into arrays. */
const listColumns = {
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
function searchCondition(q: string, fuzzy: boolean): SQL {
  return sql`(${actors.searchVector} @@ websearch_to_tsquery('danish', ${q})
    or ${actors.searchVector} @@ websearch_to_tsquery('simple', samspil_norm(${q}))
    or ${actors.nameNorm} like '%' || samspil_norm(${q}) || '%'
    ${fuzzy ? sql`or samspil_norm(${q}) <% ${actors.nameNorm}` : sql``})`;
}

function searchRank(q: string): SQL<number> {
  return sql<number>`(ts_rank(${actors.searchVector}, websearch_to_tsquery('danish', ${q}))
    + ts_rank(${actors.searchVector}, websearch_to_tsquery('simple', samspil_norm(${q})))
    + word_similarity(samspil_norm(${q}), ${actors.nameNorm}))`;
}

/** A text search through the whole registry that finds fewer than this also looks for look-alikes. */
const LOOK_ALIKES_BELOW = 25;

/**
 * A page of actors. A text search through the whole registry looks for the words and the name first;
 * only when that finds fewer than LOOK_ALIKES_BELOW does it look for names that look alike too (a
 * typo), as a search engine suggests: the same query finds the same actors whatever the page size.
 * Within one municipality's actors, few enough to compare every name, it looks for all at once.
 */
export async function searchActors(
  db: Queryable,
  query: ActorListQuery,
): Promise<{ items: ActorListItem[]; total: number }> {
  // A NUL character cannot be searched for (PostgreSQL keeps none in text): it separates words.
  const q = query.q?.replaceAll('\u0000', ' ').trim();
  const whole = query.municipalityCode === undefined;
  let page = await pageOfActors(db, query, q ? searchCondition(q, !whole) : undefined);
  if (q && whole && page.total < LOOK_ALIKES_BELOW) page = await pageOfActors(db, query, searchCondition(q, true));
  return page;
}

/**
 * One page of the actors that match, in order, and how many match in all: one statement, the page's
 * ids and the count found in one pass over the matches, and then only the page's rows read whole.
 */
async function pageOfActors(
  db: Queryable,
  query: ActorListQuery,
  text: SQL | undefined,
): Promise<{ items: ActorListItem[]; total: number }> {
  const where: SQL[] = [];
  const q = query.q?.replaceAll('\u0000', ' ').trim();
  if (text) where.push(text);
  if (query.role) where.push(sql`${actors.roles} @> array[${query.role}]::actor_role[]`);
  if (query.status === undefined) where.push(ne(actors.status, 'archived'));
  else if (query.status !== 'all') where.push(eq(actors.status, query.status));
  if (query.municipalityCode !== undefined) {
    // A municipality's actors are few: their ids first (an array, so PostgreSQL reads them before
    // anything else), and the text matched on those rows only, not through the whole registry
    // (22 → 1.7 ms for "Foreningen" in København among 5,000 actors).
    where.push(
      sql`${actors.id} = any(array(select a.id from ${actors} a where a.home_municipality_code = ${query.municipalityCode}
            union all select am.actor_id from ${actorMunicipalities} am where am.municipality_code = ${query.municipalityCode}))`,
    );
  }
  if (query.targetGroupId !== undefined) {
    where.push(
      sql`exists (select 1 from ${actorTargetGroups} atg where atg.actor_id = ${actors.id} and atg.target_group_id in ${subtreeIds(query.targetGroupId)})`,
    );
  }
  const condition = where.length ? and(...where) : undefined;
  const sort = query.sort ?? (q ? 'relevance' : 'name');
  const byRelevance = sort === 'relevance' && q !== undefined && q !== '';
  // The rank is worked out once per match, in the page's statement, and the rows are put in its order.
  const order = (rank: SQL): SQL[] =>
    byRelevance
      ? [sql`${rank} desc`, asc(actors.nameNorm), asc(actors.id)]
      : sort === '-name'
        ? [desc(actors.nameNorm), desc(actors.id)]
        : sort === 'updated'
          ? [asc(actors.updatedAt), asc(actors.id)]
          : sort === '-updated'
            ? [desc(actors.updatedAt), desc(actors.id)]
            : [asc(actors.nameNorm), asc(actors.id)];
  // One pass over the matches: the page's ids in order, and the number of matches beside them.
  const page = db
    .select({
      id: actors.id,
      total: sql<number>`count(*) over ()`.as('total'),
      relevance: (byRelevance ? searchRank(q) : sql<number>`0`).as('relevance'),
    })
    .from(actors)
    .where(condition)
    .orderBy(...order(sql`relevance`))
    .limit(query.limit)
    .offset(query.offset)
    .as('page');
  // Then only the page's rows read whole, in the same statement.
  const found = await db
    .select({ ...listColumns, total: page.total })
    .from(page)
    .innerJoin(actors, eq(actors.id, page.id))
    .orderBy(...order(sql`${page.relevance}`));
  const total = found.length
    ? Number(found[0]?.total ?? 0)
    : query.offset > 0
      ? ((await db.select({ total: count() }).from(actors).where(condition))[0]?.total ?? 0)
      : 0;
  return { items: found.map(({ total: _, ...item }) => item), total };
}

export async function findByCvr(db: Queryable, cvr: string, excludeId?: number) {
  const [row] = await db
    .select({ id: actors.id, name: actors.name })
    .from(actors)
    .where(excludeId === undefined ? eq(actors.cvr, cvr) : and(eq(actors.cvr, cvr), ne(actors.id, excludeId)));
  return row;
}

/**
 * The duplicate guard's test: an actor's folded name is trigram-similar to `name` (an SQL value or
 * expression, such as another table's column). The one place the rule is written.
 */
export function similarNameCondition(name: SQL): SQL {
  return sql`(${actors.nameNorm} % samspil_norm(${name}) and (similarity(${actors.nameNorm}, samspil_norm(${name})) >= 0.45 or word_similarity(samspil_norm(${name}), ${actors.nameNorm}) >= 0.8))`;
}

/** Actors whose folded names are trigram-similar to the given name. */
export async function findSimilarNames(
  db: Queryable,
  name: string,
  excludeId?: number,
  limit = 5,
): Promise<SimilarActor[]> {
  const similarity = sql<number>`similarity(${actors.nameNorm}, samspil_norm(${name}))`;
  const conditions = [similarNameCondition(sql`${name}`)];
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
    .set({ ...values, version: sql`${actors.version} + 1`, updatedAt: sql`now()` })
    .where(and(eq(actors.id, id), eq(actors.version, version)))
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
    .set({ ...values, version: sql`${actorContacts.version} + 1` })
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
    .set({ name: placeholder, role: null, email: null, phone: null, version: sql`${actorContacts.version} + 1` })
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
 * and decided on or after `grantsDecidedFrom`.
 */
function cooperatingCodes(actorId: SQL | number, dates: { today: string; grantsDecidedFrom: string }): SQL {
  return sql`
      select a.municipality_code as code from agreement_actors aa join agreements a on a.id = aa.agreement_id
        where aa.actor_id = ${actorId} and a.status = 'active'
          and a.starts_on <= ${dates.today}::date and (a.ends_on is null or a.ends_on >= ${dates.today}::date)
      union
      select r.municipality_code from grants g join grant_rounds r on r.id = g.round_id
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
 * An actor as its page shows it, in one statement: the actor with its contacts, where it was merged
 * into (if it was), and the municipalities that work with it (cooperatingMunicipalities).
 */
export async function loadActorToShow(
  db: Queryable,
  id: number,
  dates: { today: string; grantsDecidedFrom: string },
): Promise<(Actor & { mergedIntoId: number | null; cooperatingCodes: number[] }) | undefined> {
  const [row] = await db
    .select({
      ...listColumns,
      contacts: contactsColumn,
      mergedIntoId: actors.mergedIntoId,
      cooperatingCodes: sql<number[]>`array(${cooperatingCodes(sql`"actors"."id"`, dates)})`,
    })
    .from(actors)
    .where(eq(actors.id, id));
  return row;
}
