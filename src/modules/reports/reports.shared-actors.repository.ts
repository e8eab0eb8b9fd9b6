/**
 * The queries of the report "Fælles aktører": the actors that municipalities of a scope share, and
 * actors registered twice by different municipalities.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { AWARDED } from '../grants/grants.repository.ts';
import { type Scope, scopeCodes } from './reports.repository.ts';

export interface SharedActorLink extends Record<string, unknown> {
  actorId: number;
  name: string;
  cvr: string | null;
  municipalityCode: number;
  worksThere: boolean;
  /** A sum, as a decimal string of øre. */
  awardedOre: string;
  agreementCount: number;
}

/**
 * The actors that two or more municipalities of the scope share, and how: whether the actor works
 * there, the money each awarded it in the year, and their agreements with it. One row per actor and
 * municipality.
 */
function sharedActorsQuery(scope: Scope, year: number): SQL {
  return sql`
    with scope as (${scopeCodes(scope)}),
    works as (
      select a.id as actor_id, a.home_municipality_code as m from actors a
      where a.status <> 'archived' and a.home_municipality_code in (select code from scope)
      union
      select am.actor_id, am.municipality_code from actor_municipalities am join actors a on a.id = am.actor_id
      where a.status <> 'archived' and am.municipality_code in (select code from scope)
    ),
    funded as (
      select g.actor_id, r.municipality_code as m, sum(g.awarded_ore) as awarded
      from grants g join grant_rounds r on r.id = g.round_id
      where r.year = ${year} and g.status in ${AWARDED} and r.municipality_code in (select code from scope)
      group by g.actor_id, r.municipality_code
    ),
    agreed as (
      select aa.actor_id, ag.municipality_code as m, count(*)::int as n
      from agreement_actors aa join agreements ag on ag.id = aa.agreement_id
      where ag.status <> 'ended' and ag.municipality_code in (select code from scope)
      group by aa.actor_id, ag.municipality_code
    ),
    links as (
      select actor_id, m from works union select actor_id, m from funded union select actor_id, m from agreed
    ),
    shared as (select actor_id from links group by actor_id having count(*) >= 2)
    select a.id as "actorId", a.name, a.cvr, l.m as "municipalityCode",
      (w.actor_id is not null) as "worksThere", coalesce(f.awarded, 0)::text as "awardedOre",
      coalesce(ag.n, 0) as "agreementCount"
    from shared s
    join actors a on a.id = s.actor_id
    join links l on l.actor_id = s.actor_id
    left join works w on w.actor_id = l.actor_id and w.m = l.m
    left join funded f on f.actor_id = l.actor_id and f.m = l.m
    left join agreed ag on ag.actor_id = l.actor_id and ag.m = l.m
    order by a.name_norm, a.id, l.m`;
}

export async function sharedActorLinks(database: Database, scope: Scope, year: number): Promise<SharedActorLink[]> {
  return database.rows<SharedActorLink>(sharedActorsQuery(scope, year));
}

/** How alike two folded names must be (pg_trgm similarity, 0–1) to be suspected as one actor. */
const DUPLICATE_SIMILARITY = 0.6;

export interface SuspectedDuplicate extends Record<string, unknown> {
  aId: number;
  aName: string;
  aCvr: string | null;
  aHome: number;
  bId: number;
  bName: string;
  bCvr: string | null;
  bHome: number;
  similarity: number;
  reason: 'same_cvr' | 'similar_name';
}

/**
 * Actors registered by different municipalities that look like one: the same CVR (possible when
 * one copy was archived and re-registered) or names alike after folding æ/ø/å (trigram similarity).
 * Each actor in scope looks up the names like its own in the trigram index (the % operator, at the
 * threshold set), rather than comparing every pair of actors: over the national data set that was
 * 12.5 million comparisons and ran past the statement timeout (issue 17).
 */
export function suspectedDuplicatesQuery(scope: Scope, limit: number): SQL {
  return sql`
    with scope as (${scopeCodes(scope)}),
    candidates as (select id, cvr, name_norm from actors
                   where status <> 'archived' and home_municipality_code in (select code from scope)),
    pairs as (
      select a.id as a_id, b.id as b_id from candidates a join actors b on b.cvr = a.cvr and b.id > a.id
      union
      select a.id, b.id from candidates a join actors b on b.name_norm % a.name_norm and b.id > a.id)
    select a.id as "aId", a.name as "aName", a.cvr as "aCvr", a.home_municipality_code as "aHome",
      b.id as "bId", b.name as "bName", b.cvr as "bCvr", b.home_municipality_code as "bHome",
      similarity(a.name_norm, b.name_norm)::float8 as similarity,
      case when a.cvr is not null and a.cvr = b.cvr then 'same_cvr' else 'similar_name' end as reason
    from pairs p join actors a on a.id = p.a_id join actors b on b.id = p.b_id
    where b.status <> 'archived' and b.home_municipality_code in (select code from scope)
      and a.home_municipality_code <> b.home_municipality_code
      and (a.cvr is null or b.cvr is null or a.cvr = b.cvr)
    order by reason, similarity desc, a.name
    limit ${limit}`;
}

export async function suspectedDuplicates(database: Database, scope: Scope, limit = 200) {
  // Names alike enough to suspect (the trigram index serves the % operator at this threshold).
  // Read only: it changes nothing, so it does not end what the process has kept (this report too).
  return database.db.transaction(
    async (tx) => {
      await tx.execute(sql`set local pg_trgm.similarity_threshold = ${sql.raw(String(DUPLICATE_SIMILARITY))}`);
      return database.rows<SuspectedDuplicate>(suspectedDuplicatesQuery(scope, limit), tx);
    },
    { accessMode: 'read only' },
  );
}
