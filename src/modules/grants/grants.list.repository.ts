/**
 * The grant list's statements: the filters as one condition, the free text, the order, a page of
 * grants with the totals of all matching, and every grant matching for the export (issue 17).
 */
import { and, type SQL, sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { intArray } from '../../db/params.ts';
import { sqlOnceEach } from '../../db/prepared.ts';
import { grantAllocations, grantRounds, grants } from '../../db/schema/index.ts';
import { oreSum } from '../../lib/money.ts';
import { subtreeIds } from '../target-groups/target-groups.repository.ts';
import {
  AWARDED,
  type GrantRow,
  type GrantWithParts,
  grantsWithParts,
  overdueCondition,
  roundAndActorOf,
  shownColumnsOf,
  withPartsOf,
} from './grants.repository.ts';
import { type NamedRound, roundMenuJson } from './grants.rounds.repository.ts';
import type { GrantListQuery, GrantSort } from './grants.schemas.ts';

/**
 * Grants as the list pages show them: the columns of the table, the round, the actor and the sum
 * paid. Without the text, dates and parts that only the grant's own page, the API and the export
 * read: a page of fifty cost PostgreSQL 0.40 ms against 0.66 with them all (issue 17).
 */
function grantsListed(where: SQL | undefined, tail: SQL = sql``): SQL {
  return sql`select grants.id as id, grants.round_id as round_id, grants.actor_id as actor_id, grants.title as title,
      grants.kind as kind, grants.requested_ore as requested_ore, grants.awarded_ore as awarded_ore,
      grants.decision_on::text as decision_on, grants.status as status, grants.report_due_on::text as report_due_on,
      grants.report_received_on::text as report_received_on,
      grant_rounds.municipality_code as municipality_code, grant_rounds.name as round_name, grant_rounds.year as round_year,
      actors.name as actor_name, actors.cvr as actor_cvr, grants.paid_ore::text as paid_ore
    from grants join grant_rounds on grant_rounds.id = grants.round_id join actors on actors.id = grants.actor_id
    ${where ? sql`where ${where}` : sql``} ${tail}`;
}

/** A grant as the list pages show it, with its round's and actor's names. */
export interface ListedRow {
  grant: Pick<
    GrantRow,
    | 'id'
    | 'roundId'
    | 'actorId'
    | 'title'
    | 'kind'
    | 'requestedOre'
    | 'awardedOre'
    | 'decisionOn'
    | 'status'
    | 'reportDueOn'
    | 'reportReceivedOn'
  >;
  municipalityCode: number;
  roundName: string;
  roundYear: number;
  actorName: string;
  actorCvr: string | null;
  paidOre: number;
}

export function listedOf(found: Record<string, unknown>[]): ListedRow[] {
  return found.map((r) => ({ grant: shownColumnsOf(r), ...roundAndActorOf(r), paidOre: Number(r.paid_ore) }));
}

/**
 * Free text over the actor's name, the title, the purpose and the case number, folded as names are
 * (case, Danish letters and punctuation do not matter): every word must occur in one of them. Both
 * sides are folded as written (grants.text_norm, actors.name_norm) and have a trigram index (issue 17).
 * Across the country a word of three letters or more is looked up in both indexes, the actors it
 * finds as an array of ids that grants_actor_idx takes. Where another filter has narrowed the list to
 * one municipality, round or actor, those grants are read by their own index and each is checked
 * against the actors found as a hashed set: an array is searched element by element, and a common
 * word ("forening") finds 600 actors.
 */
function textSearch(terms: number, narrowed: boolean): SQL {
  return (
    and(
      ...Array.from({ length: terms }, (_, i) => {
        // Folded once for the statement (an InitPlan), not for each grant compared in a generic plan,
        // as the registry's search does (actors.search.repository.ts).
        const folded = sql`(select samspil_norm(${sql.placeholder(`w${i}`)}))`;
        const named = sql`select n.id from actors n where n.name_norm like '%' || ${folded} || '%'`;
        return sql`(${grants.textNorm} like '%' || ${folded} || '%'
          or ${grants.actorId} ${narrowed ? sql`in (${named})` : sql`= any(array(${named}))`})`;
      }),
    ) ?? sql`true`
  );
}

/**
 * The list's orders: those a user may choose, and `newest` (the newest round first, and in it the
 * grants recorded last), which a page listing an actor's latest grants asks for.
 */
type GrantOrder = GrantSort | 'newest';
/** The list as a page asks for it: the API's query, in any of the list's orders. */
export type GrantPageQuery = Omit<GrantListQuery, 'sort'> & { sort?: GrantOrder };

/**
 * The list's order: a column the user chose (ties broken by id), else newest round first. `year` is
 * the round's year as the statement has it (joined, or looked up grant by grant).
 */
function grantOrder(sort: GrantOrder | undefined, year: SQL = sql`grant_rounds.year`): SQL {
  if (!sort) return sql`${year} desc, grants.id asc`;
  if (sort === 'newest') return sql`${year} desc, grants.id desc`;
  const dir = sort.startsWith('-') ? sql.raw('desc') : sql.raw('asc');
  const column = {
    awarded: sql`grants.awarded_ore`,
    actor: sql`actors.name_norm`,
    status: sql`grants.status`,
    decision: sql`grants.decision_on`,
  }[sort.replace('-', '') as 'awarded' | 'actor' | 'status' | 'decision'];
  return sql`${column} ${dir} nulls last, grants.id asc`;
}

/**
 * What a list asks for without its values: which filters apply, how many words, the order. Each shape
 * is one statement, built once (sqlOnceEach) with placeholders for the values (valuesOf): building
 * the list's statement cost about 90 µs of CPU per request (issue 17).
 */
interface ListShape {
  roundId: boolean;
  status: boolean;
  actorId: boolean;
  year: boolean;
  municipality: boolean;
  region: boolean;
  overdue: boolean;
  /** How many words of free text (at most ten count). */
  terms: number;
  targetGroup: boolean;
  sort: GrantOrder | null;
}

type ListFilters = Omit<GrantPageQuery, 'limit' | 'offset'>;

/** The words of the free text that count (PostgreSQL keeps no NUL in text: it separates words). */
function wordsOf(q: ListFilters): string[] {
  return (q.q ?? '').replaceAll('\u0000', ' ').split(/\s+/).filter(Boolean).slice(0, 10);
}

function shapeOf(q: ListFilters): ListShape {
  return {
    roundId: q.roundId !== undefined,
    status: Boolean(q.status),
    actorId: q.actorId !== undefined,
    year: q.year !== undefined,
    municipality: q.municipalityCode !== undefined,
    region: q.regionCode !== undefined,
    overdue: q.overdue === true,
    terms: wordsOf(q).length,
    targetGroup: q.targetGroupId !== undefined,
    sort: q.sort ?? null,
  };
}

/** The values of a list's placeholders. */
function valuesOf(q: ListFilters): Record<string, unknown> {
  const values: Record<string, unknown> = {
    roundId: q.roundId,
    status: q.status,
    actorId: q.actorId,
    year: q.year,
    municipalityCode: q.municipalityCode,
    regionCode: q.regionCode,
    targetGroupId: q.targetGroupId,
  };
  wordsOf(q).forEach((w, i) => {
    values[`w${i}`] = w;
  });
  return values;
}

/** The list's filters as one condition, over grants and their rounds (none names the actor). */
function listCondition(shape: ListShape): SQL | undefined {
  const where: SQL[] = [];
  const value = (name: string) => sql.placeholder(name);
  if (shape.roundId) where.push(sql`${grants.roundId} = ${value('roundId')}`);
  if (shape.status) where.push(sql`${grants.status} = ${value('status')}`);
  if (shape.actorId) where.push(sql`${grants.actorId} = ${value('actorId')}`);
  if (shape.year) where.push(sql`${grantRounds.year} = ${value('year')}`);
  if (shape.municipality) where.push(sql`${grantRounds.municipalityCode} = ${value('municipalityCode')}`);
  if (shape.region)
    where.push(
      sql`${grantRounds.municipalityCode} in (select code from municipalities where region_code = ${value('regionCode')})`,
    );
  if (shape.overdue) where.push(overdueCondition);
  const narrowed = shape.municipality || shape.roundId || shape.actorId;
  if (shape.terms) where.push(textSearch(shape.terms, narrowed));
  if (shape.targetGroup) {
    where.push(
      sql`exists (select 1 from ${grantAllocations} ga where ga.grant_id = ${grants.id} and ga.target_group_id in ${subtreeIds(value('targetGroupId'))})`,
    );
  }
  return where.length ? and(...where) : undefined;
}

/** Whether the list's filters name the grants' rounds (their year or municipality), not only the grants. */
function namesRound(shape: ListShape): boolean {
  return shape.year || shape.municipality || shape.region;
}

/**
 * The ids of the grants matching, in the list's order: from the grants and their rounds (and actors
 * when sorted by them). One actor's grants are few: each one's round is looked up by its key, where
 * joining the rounds hashed all of them in PostgreSQL's generic plan (980 rounds for an actor's 43
 * grants, 0.13 of the actor page's 0.54 ms).
 */
function orderedIds(shape: ListShape, condition: SQL | undefined, tail: SQL = sql``): SQL {
  const oneActor = shape.actorId && !namesRound(shape);
  const sort = shape.sort ?? undefined;
  return sql`select grants.id from grants
    ${oneActor ? sql`` : sql`join grant_rounds on grant_rounds.id = grants.round_id`}
    ${sort?.replace('-', '') === 'actor' ? sql`join actors on actors.id = grants.actor_id` : sql``}
    ${condition ? sql`where ${condition}` : sql``}
    order by ${oneActor ? grantOrder(sort, sql`(select r.year from grant_rounds r where r.id = grants.round_id)`) : grantOrder(sort)} ${tail}`;
}

/** Every grant's id matching a shape of filters, in the list's order. */
const matchingIds = sqlOnceEach<string, Record<string, unknown>, { id: number }>('grant_ids', (key) => {
  const shape = JSON.parse(key) as ListShape;
  return orderedIds(shape, listCondition(shape));
});

/** Every grant matching the list's filters, by id, in the list's order (the export reads them a part at a time). */
export async function matchingGrantIds(db: Queryable, q: Omit<GrantListQuery, 'limit' | 'offset'>): Promise<number[]> {
  return (await matchingIds(db, JSON.stringify(shapeOf(q)), valuesOf(q))).map((r) => Number(r.id));
}

/** Grants with their round, actor and parts, by id (in no particular order). */
export async function grantsWithPartsByIds(db: Queryable, ids: number[]): Promise<GrantWithParts[]> {
  return withPartsOf(await rows(db, grantsWithParts(sql`grants.id = any(${intArray(ids)}::int[])`)));
}

/** How a page of grants is read: with their parts (the API), or as the list pages show them (grantsListed). */
const views = { parts: grantsWithParts, listed: grantsListed } as const;

/**
 * One statement: the totals of the grants matching, and the page of them with their parts (the
 * page's plan as on its own: its parts read for its rows only). The sums paid are those kept on the
 * grants (migration 0038). The filters name grants and rounds only, never the actor.
 *
 * The page's rows are aggregated as they come out of its ordered subquery, nothing joined beside it,
 * which keeps their order (PostgreSQL's documentation says "usually"; the follow-up lists rely on
 * the same, and grant-list.test.ts checks the orders).
 *
 * The page comes as one JSON text, parsed when its request goes on (searchGrants): one string for
 * the driver to read instead of a string and an object member for each of some 1,000 values. Under
 * load the driver reads the answers of several requests in one go, and each page waits there while
 * the others are rendered; fifty rows of objects survived into V8's old generation 140 KB a request,
 * the one string is copied whole (issue 17: the grant list's app CPU at 32 connections 2.15–2.33 ->
 * 1.34–1.51 ms, its PostgreSQL 0.62–0.66 -> 0.69–0.78 ms for the JSON it builds).
 */
const grantPages = sqlOnceEach<string, Record<string, unknown>, Record<string, unknown>>('grant_page', (key) => {
  const { view, menu, ...shape } = JSON.parse(key) as ListShape & { view: keyof typeof views; menu: boolean };
  const condition = listCondition(shape);
  // The page's grants are picked from the grants and their rounds (and actors when sorted by them),
  // then read with their actor and parts: the actor of every grant matching was joined before.
  const pageIds = orderedIds(
    shape,
    condition,
    sql`limit ${sql.placeholder('limit')} offset ${sql.placeholder('offset')}`,
  );
  // The totals join the rounds only where the filters name them (every grant has one).
  const rounds = namesRound(shape) ? sql`join grant_rounds on grant_rounds.id = grants.round_id` : sql``;
  const where = condition ? sql`where ${condition}` : sql``;
  return sql`with totals as (
        select count(*)::int as total_n, coalesce(sum(grants.requested_ore), 0)::text as total_requested,
          coalesce(sum(grants.awarded_ore) filter (where grants.status in ${AWARDED}), 0)::text as total_awarded,
          coalesce(sum(grants.paid_ore), 0)::text as total_paid
        from grants ${rounds} ${where})
      select totals.*, (select coalesce(json_agg(page), '[]')::text from (${views[view](
        sql`grants.id in (${pageIds})`,
        sql`order by ${grantOrder(shape.sort ?? undefined)}`,
      )}) page) as page${menu ? sql`, ${roundMenuJson(sql.placeholder('menuOf'))} as menu` : sql``} from totals`;
});

/**
 * A page of the grants matching, with the totals of all, its rows as `view` reads them; with
 * `menuOf`, that municipality's rounds for the list's menu, read in the same statement: on its own,
 * a round trip for 0.014 ms of PostgreSQL's work; the page's app CPU went down 4–7 % without it
 * (issue 17, bench/PAGE-COSTS.md).
 */
export async function searchGrants(
  db: Queryable,
  q: GrantPageQuery,
  view: keyof typeof views = 'parts',
  menuOf?: number,
) {
  const menu = menuOf !== undefined;
  const found = await grantPages(db, JSON.stringify({ ...shapeOf(q), view, menu }), {
    ...valuesOf(q),
    limit: q.limit,
    offset: q.offset,
    ...(menu ? { menuOf } : {}),
  });
  const totals = found[0];
  return {
    rows: JSON.parse(String(totals?.page ?? '[]')) as Record<string, unknown>[],
    totals: {
      total: Number(totals?.total_n ?? 0),
      requestedOre: oreSum(totals?.total_requested as string | undefined).toString(),
      awardedOre: oreSum(totals?.total_awarded as string | undefined).toString(),
      paidOre: oreSum(totals?.total_paid as string | undefined).toString(),
    },
    menu: (totals?.menu ?? []) as NamedRound[],
  };
}
