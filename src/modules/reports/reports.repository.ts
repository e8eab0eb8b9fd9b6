import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { oreSum } from '../../lib/money.ts';
import { AWARDED } from '../grants/grants.repository.ts';

/** Where a report looks: one municipality, one region, or the whole country. */
export type Scope = { kind: 'municipality'; code: number } | { kind: 'region'; code: number } | { kind: 'national' };

export interface ReportParams {
  scope: Scope;
  yearFrom: number;
  yearTo: number;
  /** Below this index (share of funding ÷ share of need) a group is underserved. */
  threshold: number;
}

/** The municipality codes of a scope, as a subquery. */
export function scopeCodes(scope: Scope): SQL {
  switch (scope.kind) {
    case 'municipality':
      return sql`select code from municipalities where code = ${scope.code}`;
    case 'region':
      return sql`select code from municipalities where region_code = ${scope.code}`;
    case 'national':
      return sql`select code from municipalities`;
  }
}

export interface ProportionalityRow extends Record<string, unknown> {
  targetGroupId: number;
  parentId: number | null;
  nameDa: string;
  nameEn: string | null;
  level: number;
  municipalityCode: number | null;
  needPeople: number;
  needShare: number | null;
  /** Sums, as decimal strings of øre: they can pass 2^53. */
  awardedOre: string;
  inKindOre: string;
  fundingShare: number | null;
  grantCount: number;
  actorCount: number;
  agreementCount: number;
  outreachCount: number;
  index: number | null;
  flag: 'no_offer' | 'underserved' | 'no_estimate' | 'ok';
  totalNeedPeople: number;
  totalAwardedOre: string;
}

/**
 * The proportionality report as one SQL statement: per target group (FFB tree plus the scope's local
 * groups) the need, the money, the offer, the index and the flag, worst first.
 *
 * - Need: per municipality and year, an estimate counts for its own group and each ancestor, unless
 *   an estimate on a group between them already counts those people (a parent's own estimate wins
 *   over the sum of its children). The total counts each person once.
 * - Money: an allocation of an awarded grant counts for its group and each ancestor exactly once;
 *   the total is the sum of all allocations, so each grant counts once. In-kind support is apart.
 * - Offer: active actors whose target groups and municipalities meet the scope, and actors funded
 *   for the group; active agreements and outreach times whose period meets the years.
 *
 * Exported so the benchmark can time the bare query against the report's answer.
 */
export function proportionalityQuery(p: ReportParams): SQL {
  const from = sql`make_date(${p.yearFrom}::int, 1, 1)`;
  const to = sql`make_date(${p.yearTo}::int, 12, 31)`;
  return sql`
    with recursive
    scope as (${scopeCodes(p.scope)}),
    groups as (
      select id, parent_id, name_da, name_en, level, municipality_code from target_groups
      where municipality_code is null or municipality_code in (select code from scope)
    ),
    closure(anc, des) as (
      select id, id from groups
      union all
      select c.anc, g.id from closure c join groups g on g.parent_id = c.des
    ),
    est as (
      select n.municipality_code as m, n.year as y, n.target_group_id as g, n.people
      from need_estimates n
      where n.municipality_code in (select code from scope) and n.year between ${p.yearFrom} and ${p.yearTo}
    ),
    -- An estimate is covered by the nearest estimate above it (same municipality and year): it
    -- counts for the groups below that one, which has already counted its people.
    est_cover as (
      select e.m, e.y, e.g, e.people, coalesce(max(ga.level), 0) as cover_level
      from est e
      left join closure up on up.des = e.g and up.anc <> e.g
      left join groups ga on ga.id = up.anc
        and exists (select 1 from est e2 where e2.m = e.m and e2.y = e.y and e2.g = up.anc)
      group by e.m, e.y, e.g, e.people
    ),
    need as (
      select c.anc as g, sum(e.people)::bigint as people
      from est_cover e
      join closure c on c.des = e.g
      join groups ga on ga.id = c.anc
      where ga.level > e.cover_level
      group by c.anc
    ),
    need_total as (
      select coalesce(sum(people), 0)::bigint as people from est_cover where cover_level = 0
    ),
    alloc as (
      select a.target_group_id as g, gr.kind, a.amount_ore, gr.id as grant_id, gr.actor_id
      from grant_allocations a
      join grants gr on gr.id = a.grant_id
      join grant_rounds r on r.id = gr.round_id
      where r.municipality_code in (select code from scope) and r.year between ${p.yearFrom} and ${p.yearTo}
        and gr.status in ${AWARDED}
    ),
    funding as (
      select c.anc as g,
        coalesce(sum(al.amount_ore) filter (where al.kind = 'money'), 0)::numeric as money,
        coalesce(sum(al.amount_ore) filter (where al.kind = 'in_kind'), 0)::numeric as in_kind,
        count(distinct al.grant_id)::int as grants
      from alloc al join closure c on c.des = al.g
      group by c.anc
    ),
    funding_total as (
      select coalesce(sum(amount_ore) filter (where kind = 'money'), 0)::numeric as money from alloc
    ),
    serving as (
      select c.anc as g, count(distinct x.actor_id)::int as actors
      from (
        select atg.actor_id, atg.target_group_id as g
        from actor_target_groups atg join actors a on a.id = atg.actor_id
        where a.status = 'active' and (
          a.home_municipality_code in (select code from scope)
          or exists (select 1 from actor_municipalities am
                     where am.actor_id = a.id and am.municipality_code in (select code from scope)))
        union
        select al.actor_id, al.g from alloc al
      ) x join closure c on c.des = x.g
      group by c.anc
    ),
    agreement_counts as (
      select c.anc as g, count(distinct ag.id)::int as n
      from agreements ag
      join agreement_target_groups atg on atg.agreement_id = ag.id
      join closure c on c.des = atg.target_group_id
      where ag.municipality_code in (select code from scope) and ag.status = 'active'
        and ag.starts_on <= ${to} and (ag.ends_on is null or ag.ends_on >= ${from})
      group by c.anc
    ),
    outreach_counts as (
      select c.anc as g, count(distinct o.id)::int as n
      from outreach o
      join actor_target_groups atg on atg.actor_id = o.actor_id
      join closure c on c.des = atg.target_group_id
      where o.municipality_code in (select code from scope)
        and o.period_start <= ${to} and (o.period_end is null or o.period_end >= ${from})
      group by c.anc
    ),
    measured as (
      select g.id, g.parent_id, g.name_da, g.name_en, g.level, g.municipality_code,
        coalesce(n.people, 0)::bigint as need_people, nt.people as total_need,
        coalesce(f.money, 0) as awarded, coalesce(f.in_kind, 0) as in_kind,
        coalesce(f.grants, 0) as grants, ft.money as total_awarded,
        coalesce(s.actors, 0) as actors, coalesce(ac.n, 0) as agreements, coalesce(oc.n, 0) as outreach,
        case when nt.people > 0 then coalesce(n.people, 0)::float8 / nt.people end as need_share,
        case when ft.money > 0 then coalesce(f.money, 0)::float8 / ft.money else 0::float8 end as funding_share
      from groups g
      cross join need_total nt
      cross join funding_total ft
      left join need n on n.g = g.id
      left join funding f on f.g = g.id
      left join serving s on s.g = g.id
      left join agreement_counts ac on ac.g = g.id
      left join outreach_counts oc on oc.g = g.id
    ),
    flagged as (
      select m.*,
        case when m.need_share > 0 then m.funding_share / m.need_share end as idx,
        case
          when m.need_people > 0 and m.actors = 0 and m.grants = 0 then 'no_offer'
          when m.need_share > 0 and m.funding_share / m.need_share < ${p.threshold}::float8 then 'underserved'
          when m.need_people = 0 and (m.awarded > 0 or m.in_kind > 0) then 'no_estimate'
          else 'ok'
        end as flag
      from measured m
    )
    select id as "targetGroupId", parent_id as "parentId", name_da as "nameDa", name_en as "nameEn", level,
      municipality_code as "municipalityCode", need_people as "needPeople", need_share as "needShare",
      awarded::text as "awardedOre", in_kind::text as "inKindOre", funding_share as "fundingShare", grants as "grantCount",
      actors as "actorCount", agreements as "agreementCount", outreach as "outreachCount", idx as "index", flag,
      total_need as "totalNeedPeople", total_awarded::text as "totalAwardedOre"
    from flagged
    order by case flag when 'no_offer' then 0 when 'underserved' then 1 when 'no_estimate' then 2 else 3 end,
      idx asc nulls last, need_people desc, name_da`;
}

/** Runs the report's query and types its numbers (bigint and numeric arrive as strings from some drivers). */
export async function proportionality(database: Database, p: ReportParams): Promise<ProportionalityRow[]> {
  const rows = await database.rows<Record<string, unknown>>(proportionalityQuery(p));
  const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  return rows.map((r) => ({
    targetGroupId: Number(r.targetGroupId),
    parentId: num(r.parentId),
    nameDa: String(r.nameDa),
    nameEn: r.nameEn === null ? null : String(r.nameEn),
    level: Number(r.level),
    municipalityCode: num(r.municipalityCode),
    needPeople: Number(r.needPeople),
    needShare: num(r.needShare),
    awardedOre: oreSum(r.awardedOre).toString(),
    inKindOre: oreSum(r.inKindOre).toString(),
    fundingShare: num(r.fundingShare),
    grantCount: Number(r.grantCount),
    actorCount: Number(r.actorCount),
    agreementCount: Number(r.agreementCount),
    outreachCount: Number(r.outreachCount),
    index: num(r.index),
    flag: r.flag as ProportionalityRow['flag'],
    totalNeedPeople: Number(r.totalNeedPeople),
    totalAwardedOre: oreSum(r.totalAwardedOre).toString(),
  }));
}

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
export function sharedActorsQuery(scope: Scope, year: number): SQL {
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
  const rows = await database.rows<Record<string, unknown>>(sharedActorsQuery(scope, year));
  return rows.map((r) => ({
    actorId: Number(r.actorId),
    name: String(r.name),
    cvr: r.cvr === null ? null : String(r.cvr),
    municipalityCode: Number(r.municipalityCode),
    worksThere: Boolean(r.worksThere),
    awardedOre: oreSum(r.awardedOre).toString(),
    agreementCount: Number(r.agreementCount),
  }));
}

/** How alike two folded names must be (pg_trgm similarity, 0–1) to be suspected as one actor. */
export const DUPLICATE_SIMILARITY = 0.6;

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
 */
export async function suspectedDuplicates(database: Database, scope: Scope, limit = 200) {
  // Names alike enough to suspect (the trigram index serves the % operator at this threshold).
  // Read only: it changes nothing, so it does not end what the process has kept (this report too).
  const rows = await database.db.transaction(
    async (tx) => {
      await tx.execute(sql`set local pg_trgm.similarity_threshold = ${sql.raw(String(DUPLICATE_SIMILARITY))}`);
      return database.rows<Record<string, unknown>>(
        sql`
    with scope as (${scopeCodes(scope)}),
    candidates as (select id, name, cvr, name_norm, home_municipality_code as home from actors
                   where status <> 'archived' and home_municipality_code in (select code from scope))
    select a.id as "aId", a.name as "aName", a.cvr as "aCvr", a.home as "aHome",
      b.id as "bId", b.name as "bName", b.cvr as "bCvr", b.home as "bHome",
      similarity(a.name_norm, b.name_norm)::float8 as similarity,
      case when a.cvr is not null and a.cvr = b.cvr then 'same_cvr' else 'similar_name' end as reason
    from candidates a join candidates b
      on a.id < b.id and a.home <> b.home
      and ((a.cvr is not null and a.cvr = b.cvr) or a.name_norm % b.name_norm)
    where a.cvr is null or b.cvr is null or a.cvr = b.cvr
    order by reason, similarity desc, a.name
    limit ${limit}`,
        tx,
      );
    },
    { accessMode: 'read only' },
  );
  return rows.map(
    (r): SuspectedDuplicate => ({
      aId: Number(r.aId),
      aName: String(r.aName),
      aCvr: r.aCvr === null ? null : String(r.aCvr),
      aHome: Number(r.aHome),
      bId: Number(r.bId),
      bName: String(r.bName),
      bCvr: r.bCvr === null ? null : String(r.bCvr),
      bHome: Number(r.bHome),
      similarity: Number(r.similarity),
      reason: r.reason as SuspectedDuplicate['reason'],
    }),
  );
}

export interface OpenGrant extends Record<string, unknown> {
  id: number;
  title: string;
  purpose: string | null;
  kind: 'money' | 'in_kind';
  requestedOre: number;
  awardedOre: number;
  paidOre: number;
  decisionOn: string | null;
  periodStart: string | null;
  periodEnd: string | null;
  updatedAt: string;
  roundName: string;
  roundDecisionOn: string | null;
  year: number;
  municipalityCode: number;
  municipalityName: string;
  actorId: number;
  actorName: string;
  actorCvr: string | null;
  actorWebsite: string | null;
  groups: { ffbCode: string | null; nameDa: string; id: number }[];
}

/** Awarded grants of a scope and year, with what the open-data export needs, in one query. */
export async function openGrants(database: Database, scope: Scope, year: number): Promise<OpenGrant[]> {
  const rows = await database.rows<Record<string, unknown>>(sql`
    with scope as (${scopeCodes(scope)})
    select g.id, g.title, g.purpose, g.kind, g.requested_ore as "requestedOre", g.awarded_ore as "awardedOre",
      coalesce((select sum(case when p.kind = 'payment' then p.amount_ore else -p.amount_ore end)
                from grant_payments p where p.grant_id = g.id), 0)::bigint as "paidOre",
      g.decision_on::text as "decisionOn", g.period_start::text as "periodStart", g.period_end::text as "periodEnd",
      to_char(g.updated_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as "updatedAt",
      r.name as "roundName", r.decision_on::text as "roundDecisionOn", r.year, r.municipality_code as "municipalityCode",
      m.name as "municipalityName", a.id as "actorId", a.name as "actorName", a.cvr as "actorCvr", a.website as "actorWebsite",
      coalesce((select json_agg(json_build_object('id', tg.id, 'ffbCode', tg.ffb_code, 'nameDa', tg.name_da) order by tg.id)
                from grant_allocations al join target_groups tg on tg.id = al.target_group_id
                where al.grant_id = g.id), '[]'::json) as groups
    from grants g
    join grant_rounds r on r.id = g.round_id
    join municipalities m on m.code = r.municipality_code
    join actors a on a.id = g.actor_id
    where r.municipality_code in (select code from scope) and r.year = ${year} and g.status in ${AWARDED}
    order by r.municipality_code, g.id`);
  return rows.map((r) => ({
    id: Number(r.id),
    title: String(r.title),
    purpose: r.purpose === null ? null : String(r.purpose),
    kind: r.kind as OpenGrant['kind'],
    requestedOre: Number(r.requestedOre),
    awardedOre: Number(r.awardedOre),
    paidOre: Number(r.paidOre),
    decisionOn: (r.decisionOn as string | null) ?? null,
    periodStart: (r.periodStart as string | null) ?? null,
    periodEnd: (r.periodEnd as string | null) ?? null,
    updatedAt: String(r.updatedAt),
    roundName: String(r.roundName),
    roundDecisionOn: (r.roundDecisionOn as string | null) ?? null,
    year: Number(r.year),
    municipalityCode: Number(r.municipalityCode),
    municipalityName: String(r.municipalityName),
    actorId: Number(r.actorId),
    actorName: String(r.actorName),
    actorCvr: r.actorCvr === null ? null : String(r.actorCvr),
    actorWebsite: r.actorWebsite === null ? null : String(r.actorWebsite),
    groups: (typeof r.groups === 'string' ? JSON.parse(r.groups) : r.groups) as OpenGrant['groups'],
  }));
}
