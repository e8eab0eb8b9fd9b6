import { sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { intArray } from '../../db/params.ts';
import { actors } from '../../db/schema/index.ts';
import { similarFoldedCondition } from '../actors/actors.repository.ts';

/*
 * Look-ups for matching the rows of a file against what is registered. Both drivers give the same
 * values (db/driver-types.ts): int2, int4 and an int8 below 2^53 as numbers, an int[] as an array.
 */

/** The FFB groups and the municipality's own sub-groups. */
export async function targetGroupsOf(on: Queryable, municipalityCode: number) {
  return rows<{ id: number; ffbCode: string | null; nameDa: string; nameEn: string | null }>(
    on,
    sql`select id, ffb_code as "ffbCode", name_da as "nameDa", name_en as "nameEn" from target_groups
        where municipality_code is null or municipality_code = ${municipalityCode} order by level, id`,
  );
}

export interface RoundRef {
  id: number;
  year: number;
  name: string;
  budgetOre: number;
  reportDueOn: string | null;
}

export async function roundsOf(on: Queryable, municipalityCode: number): Promise<RoundRef[]> {
  return rows<{ id: number; year: number; name: string; budgetOre: number; reportDueOn: string | null }>(
    on,
    sql`select id, year, name, budget_ore as "budgetOre", report_due_on::text as "reportDueOn" from grant_rounds
        where municipality_code = ${municipalityCode}`,
  );
}

export interface ActorRef {
  id: number;
  name: string;
  cvr: string | null;
}

/**
 * Registered actors by CVR, following merges to the actor that remains. Returns cvr → actor.
 */
export async function actorsByCvr(on: Queryable, cvrs: string[]): Promise<Map<string, ActorRef>> {
  if (!cvrs.length) return new Map();
  const found = await rows<{ given: string; id: number; name: string; cvr: string | null }>(
    on,
    sql`select a.cvr as given, s.id, s.name, s.cvr
        from actors a
        join actors s on s.id = coalesce(a.merged_into_id, a.id)
        where a.cvr = any(${`{${cvrs.filter((c) => /^\d{8}$/.test(c)).join(',')}}`}::bpchar[])`,
  );
  return new Map(found.map(({ given, ...actor }) => [given, actor]));
}

/** Rows of (given name, actor) as given name → actors, in their order. */
function byGiven(found: { given: string; id: number; name: string; cvr: string | null }[]): Map<string, ActorRef[]> {
  const by = new Map<string, ActorRef[]>();
  for (const { given, ...actor } of found) by.set(given, [...(by.get(given) ?? []), actor]);
  return by;
}

/** Registered actors whose folded name equals a given name's: name → the actors (not merged away). */
export async function actorsByName(on: Queryable, names: string[]): Promise<Map<string, ActorRef[]>> {
  if (!names.length) return new Map();
  return byGiven(
    await rows(
      on,
      sql`select x.given, a.id, a.name, a.cvr
          from jsonb_array_elements_text(${JSON.stringify(names)}::jsonb) as x(given)
          join actors a on a.name_norm = samspil_norm(x.given) and a.merged_into_id is null
          order by a.id`,
    ),
  );
}

/** Names looked up by similarity per statement: each statement's work is bounded. */
const SIMILAR_BATCH = 200;

/**
 * Up to three trigram-similar actors for each name, best first (the rule of the actor form), a
 * batch of names per statement, each through the trigram index.
 */
export async function similarActors(on: Queryable, names: string[]): Promise<Map<string, ActorRef[]>> {
  const found = new Map<string, ActorRef[]>();
  for (let i = 0; i < names.length; i += SIMILAR_BATCH) {
    for (const [k, v] of await similarBatch(on, names.slice(i, i + SIMILAR_BATCH))) found.set(k, v);
  }
  return found;
}

async function similarBatch(on: Queryable, names: string[]): Promise<Map<string, ActorRef[]>> {
  return byGiven(
    await rows(
      on,
      // Each name folded once, and matched by the duplicate guard's own rule (similarFoldedCondition).
      sql`select x.given, s.id, s.name, s.cvr
          from jsonb_array_elements_text(${JSON.stringify(names)}::jsonb) as x(given)
          cross join lateral (select samspil_norm(x.given) as folded) f
          cross join lateral (
            select ${actors.id} as id, ${actors.name} as name, ${actors.cvr} as cvr from ${actors}
            where ${actors.mergedIntoId} is null and ${actors.status} <> 'archived'
              and ${similarFoldedCondition(sql`f.folded`)}
            order by similarity(${actors.nameNorm}, f.folded) desc, ${actors.id}
            limit 3
          ) s`,
    ),
  );
}

export interface ExistingGrant {
  id: number;
  roundId: number;
  actorId: number;
  title: string;
  purpose: string | null;
  externalRef: string | null;
  requestedOre: number;
  awardedOre: number | null;
  decisionOn: string | null;
  status: string;
  /** The target groups the award is allocated to (several when it is split). */
  groupIds: number[];
  version: number;
}

/**
 * The registered grants some rows of a file may be: by case number in a round, or of an actor in a
 * round, leaving out the grants of the ids in the ranges given (those the import itself registered:
 * a file is matched against what was registered before it).
 */
export async function grantsMatching(
  on: Queryable,
  refs: { round_id: number; ref: string }[],
  keys: { round_id: number; actor_id: number }[],
  leaveOut: [number, number][] = [],
): Promise<ExistingGrant[]> {
  if (!refs.length && !keys.length) return [];
  return rows<{ [K in keyof ExistingGrant]: ExistingGrant[K] }>(
    on,
    sql`select g.id, g.round_id as "roundId", g.actor_id as "actorId", g.title, g.purpose,
               g.external_ref as "externalRef", g.requested_ore as "requestedOre", g.awarded_ore as "awardedOre",
               g.decision_on::text as "decisionOn", g.status, g.version,
               array(select a.target_group_id from grant_allocations a where a.grant_id = g.id
                     order by a.target_group_id) as "groupIds"
        from grants g
        where g.id in (
            select m.id from jsonb_to_recordset(${JSON.stringify(refs)}::jsonb) as x(round_id int, ref text)
            join grants m on m.round_id = x.round_id and m.external_ref = x.ref
            union
            select m.id from jsonb_to_recordset(${JSON.stringify(keys)}::jsonb) as x(round_id int, actor_id int)
            join grants m on m.round_id = x.round_id and m.actor_id = x.actor_id)
          and not exists (select from jsonb_array_elements(${JSON.stringify(leaveOut)}::jsonb) as r(ids)
                          where g.id between (r.ids->>0)::int and (r.ids->>1)::int)`,
  );
}

/** The fields of a registered actor an actor list may fill in, and each one's column. */
export const IMPORTED_ACTOR_COLUMNS = {
  orgType: 'org_type',
  roles: 'roles',
  email: 'email',
  phone: 'phone',
  website: 'website',
  address: 'address',
  description: 'description',
} as const;

/** Registered actors as an actor list is compared with them: id → the columns it may fill in, home and version. */
export async function actorsToCompare(on: Queryable, ids: number[]): Promise<Map<number, Record<string, unknown>>> {
  const found = await rows<{ id: number }>(
    on,
    sql`select id, cvr, org_type, roles::text[] as roles, email, phone, website, address, description,
               home_municipality_code, version
        from actors where id = any(${intArray(ids)}::int[])`,
  );
  return new Map(found.map((r) => [r.id, r]));
}
