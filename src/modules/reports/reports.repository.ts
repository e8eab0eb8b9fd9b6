import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
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

/** The municipality codes of a scope, as a subquery (every report query starts from it). */
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
  /** Participants reached, from accepted reports sent through the application's link. */
  reachedPeople: number;
  index: number | null;
  flag: 'no_offer' | 'underserved' | 'no_estimate' | 'ok';
  totalNeedPeople: number;
  totalAwardedOre: string;
}

/**
 * Need by target group, as the proportionality report counts it, and as the need-estimate grid shows
 * it: the steps of a `with recursive` query over the scope's groups (the FFB tree and its local
 * groups), ending in `need` (per group: g, people) and `need_total` (people).
 *
 * Per municipality and year, an estimate counts for its own group and each ancestor, unless an
 * estimate on a group between them already counts those people (a parent's own estimate wins over
 * the sum of its children). The total counts each person once.
 */
function needSteps(scope: Scope, yearFrom: number, yearTo: number): SQL {
  return sql`
    scope as (${scopeCodes(scope)}),
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
      where n.municipality_code in (select code from scope) and n.year between ${yearFrom} and ${yearTo}
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
    )`;
}

/** The need of each target group in one municipality and year, and the total, by the report's rule. */
export async function needByGroup(
  database: Database,
  municipalityCode: number,
  year: number,
): Promise<{ rolled: Map<number, number>; total: number }> {
  const rows = await database.rows<{ g: number | null; people: number }>(sql`
    with recursive ${needSteps({ kind: 'municipality', code: municipalityCode }, year, year)}
    select g, people from need union all select null, people from need_total`);
  const rolled = new Map<number, number>();
  let total = 0;
  for (const r of rows) {
    if (r.g === null) total = r.people;
    else rolled.set(r.g, r.people);
  }
  return { rolled, total };
}

/**
 * The proportionality report as one SQL statement: per target group (FFB tree plus the scope's local
 * groups) the need, the money, the offer, the index and the flag, worst first.
 *
 * - Need: as needSteps counts it.
 * - Money: an allocation of an awarded grant counts for its group and each ancestor exactly once;
 *   the total is the sum of all allocations, so each grant counts once. In-kind support is apart.
 * - Offer: active actors whose target groups and municipalities meet the scope, and actors funded
 *   for the group; active agreements and outreach times whose period meets the years.
 * - Reach: participants in accepted applicant reports on the scope's grants, rolled up as money is.
 *
 * Exported so the benchmark can time the bare query against the report's answer.
 */
export function proportionalityQuery(p: ReportParams): SQL {
  const from = sql`make_date(${p.yearFrom}::int, 1, 1)`;
  const to = sql`make_date(${p.yearTo}::int, 12, 31)`;
  return sql`
    with recursive
    ${needSteps(p.scope, p.yearFrom, p.yearTo)},
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
    -- Participants reached, from the accepted reports of the scope's grants (an application's
    -- latest report is the one that counts, and nothing follows an accepted one), rolled up the tree
    -- as the money is.
    reach as (
      select c.anc as g, sum(rr.participants)::bigint as people
      from application_reports ar
      join application_report_reach rr on rr.report_id = ar.id
      join grants gr on gr.id = ar.grant_id
      join grant_rounds r on r.id = gr.round_id
      join closure c on c.des = rr.target_group_id
      where ar.status = 'accepted'
        and r.municipality_code in (select code from scope) and r.year between ${p.yearFrom} and ${p.yearTo}
        and not exists (select 1 from application_reports later
                        where later.application_id = ar.application_id and later.id > ar.id)
      group by c.anc
    ),
    measured as (
      select g.id, g.parent_id, g.name_da, g.name_en, g.level, g.municipality_code,
        coalesce(n.people, 0)::bigint as need_people, nt.people as total_need,
        coalesce(f.money, 0) as awarded, coalesce(f.in_kind, 0) as in_kind,
        coalesce(f.grants, 0) as grants, ft.money as total_awarded,
        coalesce(s.actors, 0) as actors, coalesce(ac.n, 0) as agreements, coalesce(oc.n, 0) as outreach,
        coalesce(rc.people, 0)::bigint as reached,
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
      left join reach rc on rc.g = g.id
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
      actors as "actorCount", agreements as "agreementCount", outreach as "outreachCount", reached as "reachedPeople",
      idx as "index", flag,
      total_need as "totalNeedPeople", total_awarded::text as "totalAwardedOre"
    from flagged
    order by case flag when 'no_offer' then 0 when 'underserved' then 1 when 'no_estimate' then 2 else 3 end,
      idx asc nulls last, need_people desc, name_da`;
}

/**
 * Runs the report's query. Both drivers give its int, bigint and float8 columns as numbers
 * (db/driver-types.ts); its øre sums are numeric, sent as text, so they stay exact past 2^53.
 */
export async function proportionality(database: Database, p: ReportParams): Promise<ProportionalityRow[]> {
  return database.rows<ProportionalityRow>(proportionalityQuery(p));
}
