import { sql } from 'drizzle-orm';
import type { Database } from './client.ts';

/**
 * Deterministic test data at scale, written set-based in SQL (insert … select from generate_series),
 * with pseudo-random choices from hashes of the row number so every run writes the same rows.
 *
 * The load runs in one transaction with triggers off (session_replication_role = replica): the rows
 * are built to satisfy the grant integrity rules (allocations add up to the award, payments within
 * it) and the foreign keys, and a test checks them afterwards.
 */
export interface BenchScale {
  years: number;
  actors: number;
  grants: number;
  agreements: number;
  meetingsPerAgreement: number;
  outreach: number;
}

export const SCALES: Record<string, BenchScale> = {
  national: { years: 10, actors: 5_000, grants: 200_000, agreements: 10_000, meetingsPerAgreement: 4, outreach: 1_500 },
  regional: { years: 5, actors: 1_000, grants: 20_000, agreements: 1_000, meetingsPerAgreement: 4, outreach: 200 },
  small: { years: 2, actors: 120, grants: 600, agreements: 60, meetingsPerAgreement: 2, outreach: 20 },
};

/** The last year of data: the current one. */
const BENCH_LAST_YEAR = 2026;

export interface BenchCounts {
  actors: number;
  grants: number;
  allocations: number;
  payments: number;
  agreements: number;
  meetings: number;
  needEstimates: number;
  outreach: number;
}

/** A pseudo-random integer in [0, n) from a salt and an SQL expression (the row number, say). */
const pick = (salt: string, expr: string, n: number) =>
  sql.raw(`(abs(hashtext('${salt}' || (${expr})::text)) % ${Math.max(1, n)})`);

/** A valid CVR number (modulus 11) from a row number, or null where the check digit would be 10. */
const cvrOf = (expr: string) =>
  sql.raw(`(select case when c < 10 then b || c end from (
    select b, (11 - (substr(b,1,1)::int*2 + substr(b,2,1)::int*7 + substr(b,3,1)::int*6 + substr(b,4,1)::int*5
      + substr(b,5,1)::int*4 + substr(b,6,1)::int*3 + substr(b,7,1)::int*2) % 11) % 11 as c
    from (select (1000000 + (${expr}) * 7)::text as b) x) y)`);

export async function writeBenchData(database: Database, scale: BenchScale): Promise<BenchCounts> {
  const firstYear = BENCH_LAST_YEAR - scale.years + 1;
  const [existing] = await database.rows<{ n: number }>(sql`select count(*)::int as n from actors`);
  if ((existing?.n ?? 0) > 0) throw new Error('The database already has actors: bench-data needs an empty database.');

  await database.db.transaction(async (tx) => {
    const run = (q: ReturnType<typeof sql>) => tx.execute(q);
    await run(sql`set local session_replication_role = replica`);
    // Municipalities numbered 0..97, so a row number picks one.
    await run(sql`create temporary table bench_m on commit drop as
      select row_number() over (order by code)::int - 1 as i, code from municipalities`);
    await run(sql`create temporary table bench_g on commit drop as
      select row_number() over (order by id)::int - 1 as i, id from target_groups
      where municipality_code is null and level >= 2`);
    const groups = (await database.rows<{ n: number }>(sql`select count(*)::int as n from bench_g`, tx))[0]?.n ?? 0;

    // Actors: each has a home municipality (i mod 98), works in one or two neighbours too, and serves one to three groups.
    await run(sql`
      insert into actors (id, name, cvr, org_type, roles, home_municipality_code, status, description)
      select s.i,
        (array['Foreningen','Netværket','Værestedet','Frivilligcentret','Klubben','Fællesskabet','Huset','Caféen'])[1 + ${pick('pre', 's.i', 8)}]
          || ' ' || (array['Solsikken','Gadens Stemme','Lyspunktet','Ankeret','Fristedet','Broen','Trappen','Nattevagten','Kompasset','Havnen','Håbet','Mødestedet'])[1 + ${pick('mid', 's.i', 12)}]
          || ' ' || m.code || '-' || s.i,
        case when ${pick('cvr', 's.i', 10)} < 6 then ${cvrOf('s.i')} end,
        (array['association','self_governing_institution','foundation','social_enterprise','informal_group'])[1 + ${pick('org', 's.i', 5)}]::org_type,
        (case ${pick('role', 's.i', 4)} when 0 then '{advocate}' when 1 then '{inclusion_arena}'
          when 2 then '{service_provider}' else '{advocate,inclusion_arena}' end)::actor_role[],
        m.code,
        case when ${pick('st', 's.i', 50)} = 0 then 'inactive' else 'active' end::actor_status,
        'Frivilligt socialt arbejde i ' || m.code
      from generate_series(1, ${scale.actors}::int) s(i) join bench_m m on m.i = s.i % 98`);
    await run(sql`select setval(pg_get_serial_sequence('actors', 'id'), (select max(id) from actors))`);
    await run(sql`
      insert into actor_municipalities (actor_id, municipality_code)
      select a.id, a.home_municipality_code from actors a
      union
      select a.id, m.code from actors a join bench_m m on m.i = (a.id + 1 + ${pick('nb', 'a.id', 3)}) % 98
      where ${pick('works', 'a.id', 3)} = 0`);
    await run(sql`
      insert into actor_target_groups (actor_id, target_group_id)
      select distinct a.id, g.id from actors a
      cross join generate_series(0, 2) k
      join bench_g g on g.i = (${pick('grp', "a.id || '-' || k", 1000)}) % ${groups}
      where k = 0 or ${pick('more', "a.id || '-' || k", 2)} = 0`);

    // Rounds: every municipality, every year.
    await run(sql`
      insert into grant_rounds (municipality_code, year, name, budget_ore, decision_on, status)
      select m.code, y, '§ 18-puljen ' || y, 400000000, make_date(y, 4, 1),
        case when y < ${BENCH_LAST_YEAR} then 'decided' else 'open' end::grant_round_status
      from bench_m m cross join generate_series(${firstYear}::int, ${BENCH_LAST_YEAR}::int) y`);

    // Grants: spread over the rounds; the actor mostly from the round's municipality.
    await run(sql`create temporary table bench_r on commit drop as
      select row_number() over (order by id)::int - 1 as i, id, municipality_code, year from grant_rounds`);
    const rounds = (await database.rows<{ n: number }>(sql`select count(*)::int as n from bench_r`, tx))[0]?.n ?? 1;
    await run(sql`
      insert into grants (id, round_id, actor_id, title, purpose, kind, in_kind_description, requested_ore,
                          awarded_ore, decision_on, status, report_due_on, report_received_on, auditor_endorsed)
      select s.i, r.id,
        least(${scale.actors}, greatest(1, (select m.i from bench_m m where m.code = r.municipality_code) + 98 * ${pick('act', 's.i', Math.max(1, Math.floor(scale.actors / 98)))})),
        (array['Åben café','Aftenåbent værested','Frivillige nattevagter','Lektiehjælp','Besøgsvenner','Madfællesskab','Gadefodbold','Rådgivning'])[1 + ${pick('t', 's.i', 8)}] || ' ' || s.i,
        'Tilskud til frivilligt socialt arbejde',
        case when ${pick('kind', 's.i', 20)} = 0 then 'in_kind' else 'money' end::grant_kind,
        case when ${pick('kind', 's.i', 20)} = 0 then 'Lokaler to aftener om ugen' end,
        (10000 + ${pick('req', 's.i', 490)} * 1000) * 100,
        case when st.status in ('approved','paid','accounted','closed') then (10000 + ${pick('req', 's.i', 490)} * 1000) * 80 end,
        case when st.status <> 'applied' then make_date(r.year, 4, 1) end,
        st.status::grant_status,
        make_date(r.year + 1, 6, 1),
        case when st.status in ('accounted','closed') then make_date(r.year + 1, 5, 15) end,
        st.status in ('accounted','closed')
      from generate_series(1, ${scale.grants}::int) s(i)
      join bench_r r on r.i = (s.i * 7919) % ${rounds}
      cross join lateral (select case
        when ${pick('s', 's.i', 20)} = 0 then 'rejected'
        when ${pick('s', 's.i', 20)} = 1 then 'withdrawn'
        when r.year = ${BENCH_LAST_YEAR} and ${pick('s', 's.i', 20)} < 6 then 'applied'
        when r.year = ${BENCH_LAST_YEAR} then 'approved'
        when r.year = ${BENCH_LAST_YEAR - 1} then 'paid'
        when ${pick('s', 's.i', 20)} < 10 then 'accounted'
        else 'closed' end as status) st`);
    await run(sql`select setval(pg_get_serial_sequence('grants', 'id'), (select max(id) from grants))`);
    // One or two allocations, adding up to the award exactly.
    await run(sql`
      insert into grant_allocations (grant_id, target_group_id, amount_ore)
      select g.id, g1.id, case when two then g.awarded_ore - (g.awarded_ore * 3 / 10) else g.awarded_ore end
      from (select g.*, ${pick('two', 'g.id', 3)} = 0 as two from grants g where g.awarded_ore is not null) g
      join bench_g g1 on g1.i = ${pick('a1', 'g.id', 1000)} % ${groups}
      union all
      select g.id, g2.id, g.awarded_ore * 3 / 10
      from (select g.*, ${pick('two', 'g.id', 3)} = 0 as two from grants g where g.awarded_ore is not null) g
      join bench_g g1 on g1.i = ${pick('a1', 'g.id', 1000)} % ${groups}
      join bench_g g2 on g2.i = (${pick('a1', 'g.id', 1000)} + 1 + ${pick('a2', 'g.id', 5)}) % ${groups}
      where g.two and g2.id <> g1.id and g.awarded_ore * 3 / 10 > 0`);
    // Grants whose second line was dropped keep the award on their first line.
    await run(sql`
      update grant_allocations a set amount_ore = g.awarded_ore
      from grants g
      where g.id = a.grant_id and (select count(*) from grant_allocations x where x.grant_id = g.id) = 1
        and a.amount_ore <> g.awarded_ore`);
    await run(sql`
      insert into grant_payments (grant_id, kind, paid_on, amount_ore)
      select g.id, 'payment', g.decision_on + 30, g.awarded_ore from grants g
      where g.status in ('paid','accounted','closed')`);
    // The sum paid kept on each grant, which the payments' trigger keeps when it is on.
    await run(sql`update grants set paid_ore = awarded_ore where status in ('paid','accounted','closed')`);

    // Agreements with one or two actors of their municipality, meetings at their pace, action items.
    await run(sql`
      insert into agreements (id, municipality_code, title, kind, purpose, starts_on, ends_on, review_on,
                              meeting_interval_months, status)
      select s.i, m.code,
        'Samarbejdsaftale ' || s.i,
        case when ${pick('ak', 's.i', 3)} = 0 then 'informal' else 'formal' end::agreement_kind,
        'Samarbejde om frivillige indsatser',
        make_date(${firstYear}::int + ${pick('ay', 's.i', scale.years)}, 1 + ${pick('am', 's.i', 12)}, 1),
        make_date(${firstYear}::int + ${pick('ay', 's.i', scale.years)} + 2, 1 + ${pick('am', 's.i', 12)}, 1) - 1,
        make_date(${firstYear}::int + ${pick('ay', 's.i', scale.years)} + 1, 1 + ${pick('am', 's.i', 12)}, 1),
        (array[3, 3, 6, 12])[1 + ${pick('iv', 's.i', 4)}],
        case when ${firstYear}::int + ${pick('ay', 's.i', scale.years)} + 2 <= ${BENCH_LAST_YEAR}::int then 'ended' else 'active' end::agreement_status
      from generate_series(1, ${scale.agreements}::int) s(i) join bench_m m on m.i = s.i % 98`);
    await run(sql`select setval(pg_get_serial_sequence('agreements', 'id'), (select max(id) from agreements))`);
    await run(sql`
      insert into agreement_actors (agreement_id, actor_id)
      select distinct ag.id, a.id from agreements ag
      join bench_m m on m.code = ag.municipality_code
      cross join generate_series(0, 1) k
      join actors a on a.id = least(${scale.actors}, greatest(1, m.i + 98 * ${pick('aa', "ag.id || '-' || k", Math.max(1, Math.floor(scale.actors / 98)))}))
      where k = 0 or ${pick('two', 'ag.id', 2)} = 0`);
    await run(sql`
      insert into agreement_target_groups (agreement_id, target_group_id)
      select ag.id, g.id from agreements ag join bench_g g on g.i = ${pick('ag', 'ag.id', 1000)} % ${groups}`);
    await run(sql`
      insert into agreement_responsibilities (agreement_id, position, party, responsibility)
      select ag.id, 0, 'Kommunen', 'Koordinator og mødeindkaldelse' from agreements ag
      union all
      select ag.id, 1, 'Foreningen', 'Frivillige og lokaler' from agreements ag`);
    await run(sql`
      insert into meetings (agreement_id, planned_on, held_on, participants, notes)
      select ag.id, d::date, case when d::date < date '${sql.raw(String(BENCH_LAST_YEAR))}-11-01' then d::date end,
        'Koordinator, foreningens formand', 'Status på samarbejdet'
      from agreements ag
      cross join generate_series(1, ${scale.meetingsPerAgreement}::int) k
      cross join lateral (select ag.starts_on + make_interval(months => k * ag.meeting_interval_months) as d) x`);
    await run(sql`
      insert into action_items (meeting_id, agreement_id, text, owner_name, due_on, done_at)
      select mt.id, mt.agreement_id, 'Følg op på frivilligrekruttering', 'Formanden', mt.planned_on + 30,
        case when ${pick('done', 'mt.id', 3)} > 0 then mt.planned_on + 20 end
      from meetings mt where mt.held_on is not null and ${pick('ai', 'mt.id', 2)} = 0`);

    await run(sql`
      insert into outreach (municipality_code, actor_id, kind, unit, weekdays, starts_at, ends_at, period_start, period_end)
      select a.home_municipality_code, a.id,
        (array['casework','counselling','health_check','other'])[1 + ${pick('ok', 'a.id', 4)}]::outreach_kind,
        'Fremskudt team', array[1 + ${pick('wd', 'a.id', 5)}]::smallint[], time '10:00', time '12:00',
        make_date(${BENCH_LAST_YEAR - 1}::int, 1, 1), case when ${pick('oe', 'a.id', 2)} = 0 then make_date(${BENCH_LAST_YEAR}::int, 12, 31) end
      from actors a where a.id <= ${scale.outreach}`);

    // Need estimates for a set of groups per municipality and year; a few groups left out, so some go without.
    await run(sql`
      insert into need_estimates (municipality_code, target_group_id, year, people, source)
      select m.code, g.id, y, 20 + ${pick('need', "m.code || '-' || g.id || '-' || y", 800)}, 'Skøn ud fra Danmarks Statistik'
      from bench_m m cross join bench_g g cross join generate_series(${firstYear}::int, ${BENCH_LAST_YEAR}::int) y
      where ${pick('has', "m.code || '-' || g.id", 4)} > 0`);
  });
  // Vacuumed as well as analysed: the pages of a freshly written table are not yet marked all-visible,
  // so an index-only scan would read the table too, until autovacuum came by (figures drifted from run
  // to run as it did).
  await database.rows(sql`vacuum (analyze)`);
  const [c] = await database.rows<Record<string, number>>(sql`select
    (select count(*)::int from actors) as actors, (select count(*)::int from grants) as grants,
    (select count(*)::int from grant_allocations) as allocations, (select count(*)::int from grant_payments) as payments,
    (select count(*)::int from agreements) as agreements, (select count(*)::int from meetings) as meetings,
    (select count(*)::int from need_estimates) as "needEstimates", (select count(*)::int from outreach) as outreach`);
  return c as unknown as BenchCounts;
}
