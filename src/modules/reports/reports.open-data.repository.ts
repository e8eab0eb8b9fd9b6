/** The query of the report "Åbne data": a scope's awarded grants, for the 360Giving export. */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client.ts';
import { AWARDED } from '../grants/grants.repository.ts';
import { type Scope, scopeCodes } from './reports.repository.ts';

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
  return database.rows<OpenGrant>(sql`
    with scope as (${scopeCodes(scope)})
    select g.id, g.title, g.purpose, g.kind, g.requested_ore as "requestedOre", g.awarded_ore as "awardedOre",
      g.paid_ore as "paidOre",
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
}
