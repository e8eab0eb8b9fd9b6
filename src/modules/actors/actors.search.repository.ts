import { and, asc, count, desc, eq, ne, type SQL, sql } from 'drizzle-orm';
import type { Queryable } from '../../db/client.ts';
import { builtOnceEach } from '../../db/prepared.ts';
import { actorMunicipalities, actors, actorTargetGroups } from '../../db/schema/index.ts';
import { subtreeIds } from '../target-groups/target-groups.repository.ts';
import { listColumns, summaryColumns } from './actors.repository.ts';
import type { ActorListItem, ActorListQuery, ActorSummary } from './actors.schemas.ts';

// The registry's search: the actor list and its htmx search, on every request and keystroke.

const q = sql.placeholder('q');

// What is searched for, worked out once for each statement: each in its own subquery (an InitPlan).
// Written with the parameter inline, PostgreSQL's generic plan (which it keeps for a prepared
// statement run often) normalised the text and parsed the query again for every row it compared
// (samspil_norm is several replaces and a regexp): 9.0 ms for "Havnen" over 5,000 actors, and 2.4 ms
// so (EXPLAIN ANALYZE of the generic plan, bench/PAGE-COSTS.md). The words are hidden from the planner
// in a custom plan too; measured there, so was faster (4.9 against 2.5 ms).
const danishWords = sql`(select websearch_to_tsquery('danish', ${q}))`;
const simpleWords = sql`(select websearch_to_tsquery('simple', samspil_norm(${q})))`;
const normalised = sql`(select samspil_norm(${q}))`;

function searchCondition(fuzzy: boolean): SQL {
  return sql`(${actors.searchVector} @@ ${danishWords}
    or ${actors.searchVector} @@ ${simpleWords}
    or ${actors.nameNorm} like '%' || ${normalised} || '%'
    ${fuzzy ? sql`or ${normalised} <% ${actors.nameNorm}` : sql``})`;
}

// How well the name matches: in full when it holds what was typed, otherwise as far as its trigrams
// match (a typo). word_similarity is most of a search's cost (3.5 µs an actor: 1.5 of 2.2 ms for the
// 445 actors "Havnen" finds in the national data set), and a name that holds the text would score
// at or near its top anyway.
const nameMatch = sql`(case when ${actors.nameNorm} like '%' || ${normalised} || '%' then 1
    else word_similarity(${normalised}, ${actors.nameNorm}) end)`;

const searchRank = sql<number>`(ts_rank(${actors.searchVector}, ${danishWords})
    + ts_rank(${actors.searchVector}, ${simpleWords})
    + ${nameMatch})`;

/** A text search through the whole registry that finds fewer than this also looks for look-alikes. */
const LOOK_ALIKES_BELOW = 25;

/** What a page of actors asks for: the parts of its statement (the values are placeholders). */
interface Shape {
  text: 'none' | 'words' | 'fuzzy';
  role: boolean;
  status: 'not archived' | 'all' | 'one';
  municipality: boolean;
  targetGroup: boolean;
  sort: NonNullable<ActorListQuery['sort']>;
  /** Each actor whole (the JSON list), or as a list shows it (summaryColumns). */
  whole: boolean;
}

type Values = {
  q?: string;
  role?: string;
  status?: string;
  municipalityCode?: number;
  targetGroupId?: number;
  limit: number;
  offset: number;
};

/** The conditions of a shape. */
function condition(shape: Shape): SQL | undefined {
  const where: SQL[] = [];
  if (shape.text !== 'none') where.push(searchCondition(shape.text === 'fuzzy'));
  if (shape.role) where.push(sql`${actors.roles} @> array[${sql.placeholder('role')}]::actor_role[]`);
  if (shape.status === 'not archived') where.push(ne(actors.status, 'archived'));
  else if (shape.status === 'one') where.push(sql`${actors.status} = ${sql.placeholder('status')}`);
  if (shape.municipality) {
    // A municipality's actors are few: their ids first (an array, so PostgreSQL reads them before
    // anything else), and the text matched on those rows only, not through the whole registry
    // (22 → 1.7 ms for "Foreningen" in København among 5,000 actors).
    const code = sql.placeholder('municipalityCode');
    where.push(
      sql`${actors.id} = any(array(select a.id from ${actors} a where a.home_municipality_code = ${code}
            union all select am.actor_id from ${actorMunicipalities} am where am.municipality_code = ${code}))`,
    );
  }
  if (shape.targetGroup) {
    const under = subtreeIds(sql.placeholder('targetGroupId'));
    where.push(
      sql`exists (select 1 from ${actorTargetGroups} atg where atg.actor_id = ${actors.id} and atg.target_group_id in ${under})`,
    );
  }
  return where.length ? and(...where) : undefined;
}

/**
 * One page of the actors that match, in order, and how many match in all: one statement, the page's
 * ids and the count found in one pass over the matches, and then only the page's rows read (whole, or
 * as a list shows them).
 * Each shape is built once (db/prepared.ts).
 */
const actorPages = builtOnceEach<string, Values, ((ActorListItem | ActorSummary) & { total: number })[]>(
  'actor_page',
  (db, key) => {
    const shape = JSON.parse(key) as Shape;
    const byRelevance = shape.sort === 'relevance' && shape.text !== 'none';
    // The rank is worked out once per match, in the page's statement, and the rows are put in its order.
    const order = (rank: SQL): SQL[] =>
      byRelevance
        ? [sql`${rank} desc`, asc(actors.nameNorm), asc(actors.id)]
        : shape.sort === '-name'
          ? [desc(actors.nameNorm), desc(actors.id)]
          : shape.sort === 'updated'
            ? [asc(actors.updatedAt), asc(actors.id)]
            : shape.sort === '-updated'
              ? [desc(actors.updatedAt), desc(actors.id)]
              : [asc(actors.nameNorm), asc(actors.id)];
    // One pass over the matches: the page's ids in order, and the number of matches beside them.
    const page = db
      .select({
        id: actors.id,
        total: sql<number>`count(*) over ()`.as('total'),
        relevance: (byRelevance ? searchRank : sql<number>`0`).as('relevance'),
      })
      .from(actors)
      .where(condition(shape))
      .orderBy(...order(sql`relevance`))
      .limit(sql.placeholder('limit'))
      .offset(sql.placeholder('offset'))
      .as('page');
    // Then only the page's rows read, in the same statement.
    return db
      .select({ ...(shape.whole ? listColumns : summaryColumns), total: page.total })
      .from(page)
      .innerJoin(actors, eq(actors.id, page.id))
      .orderBy(...order(sql`${page.relevance}`));
  },
);

/**
 * A page of actors. A text search through the whole registry looks for the words and the name first;
 * only when that finds fewer than LOOK_ALIKES_BELOW does it look for names that look alike too (a
 * typo), as a search engine suggests: the same query finds the same actors whatever the page size.
 * Within one municipality's actors, few enough to compare every name, it looks for all at once.
 */
export function searchActors(db: Queryable, query: ActorListQuery): Promise<{ items: ActorListItem[]; total: number }> {
  return search(db, query, true) as Promise<{ items: ActorListItem[]; total: number }>;
}

/** A page of actors as the list page and the menus show them (searchActors's order and count). */
export function searchActorSummaries(
  db: Queryable,
  query: ActorListQuery,
): Promise<{ items: ActorSummary[]; total: number }> {
  return search(db, query, false);
}

async function search(
  db: Queryable,
  query: ActorListQuery,
  whole: boolean,
): Promise<{ items: (ActorListItem | ActorSummary)[]; total: number }> {
  // A NUL character cannot be searched for (PostgreSQL keeps none in text): it separates words.
  const text = query.q?.replaceAll('\u0000', ' ').trim();
  const registry = query.municipalityCode === undefined;
  let page = await pageOfActors(db, query, text ? (registry ? 'words' : 'fuzzy') : 'none', text, whole);
  if (text && registry && page.total < LOOK_ALIKES_BELOW) page = await pageOfActors(db, query, 'fuzzy', text, whole);
  return page;
}

async function pageOfActors(
  db: Queryable,
  query: ActorListQuery,
  text: Shape['text'],
  words: string | undefined,
  whole: boolean,
): Promise<{ items: (ActorListItem | ActorSummary)[]; total: number }> {
  const shape: Shape = {
    text,
    role: Boolean(query.role),
    status: query.status === undefined ? 'not archived' : query.status === 'all' ? 'all' : 'one',
    municipality: query.municipalityCode !== undefined,
    targetGroup: query.targetGroupId !== undefined,
    sort: query.sort ?? (words ? 'relevance' : 'name'),
    whole,
  };
  const values: Values = {
    q: words,
    role: query.role,
    status: query.status,
    municipalityCode: query.municipalityCode,
    targetGroupId: query.targetGroupId,
    limit: query.limit,
    offset: query.offset,
  };
  const found = await actorPages(db, JSON.stringify(shape), values);
  const total = found.length
    ? Number(found[0]?.total ?? 0)
    : query.offset > 0
      ? ((await db.select({ total: count() }).from(actors).where(condition(shape)).execute(values))[0]?.total ?? 0)
      : 0;
  return { items: found.map(({ total: _, ...item }) => item), total };
}
