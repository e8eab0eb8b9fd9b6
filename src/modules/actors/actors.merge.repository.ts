import { sql } from 'drizzle-orm';
import { type Queryable, rows } from '../../db/client.ts';
import { nextVersionNowSql } from '../../db/versions.ts';
import type { MergeField } from './actors.schemas.ts';
import { MERGE_FIELDS } from './actors.schemas.ts';

/** The statements of a merge of actors (actors.merge.ts); the writes run in the merge's transaction. */

const COLUMN: Record<MergeField, string> = {
  name: 'name',
  cvr: 'cvr',
  orgType: 'org_type',
  description: 'description',
  website: 'website',
  email: 'email',
  phone: 'phone',
  address: 'address',
};

/** What a merge of these actors would move, all of them together. */
export async function mergeReach(db: Queryable, ids: number[]): Promise<Record<string, number> | undefined> {
  const [counts] = await rows<Record<string, number>>(
    db,
    sql`select
        (select count(*)::int from grants where actor_id in ${ids}) as grants,
        (select count(distinct agreement_id)::int from agreement_actors where actor_id in ${ids}) as agreements,
        (select count(*)::int from meetings m where m.agreement_id in (select agreement_id from agreement_actors where actor_id in ${ids})) as meetings,
        (select count(*)::int from outreach where actor_id in ${ids}) as outreach,
        (select count(*)::int from actor_contacts where actor_id in ${ids}) as contacts`,
  );
  return counts;
}

/** What a merge would move, actor by actor. */
export async function mergeReachPerActor(db: Queryable, ids: number[]) {
  return rows<{ id: number; grants: number; agreements: number; outreach: number }>(
    db,
    sql`
        select a.id,
          (select count(*)::int from grants g where g.actor_id = a.id) as grants,
          (select count(*)::int from agreement_actors x where x.actor_id = a.id) as agreements,
          (select count(*)::int from outreach o where o.actor_id = a.id) as outreach
        from actors a where a.id in ${ids} order by a.id`,
  );
}

/** Locks the actors of a merge, in id order, and tells which of them are merged already. */
export async function lockActorsForMerge(tx: Queryable, ids: number[]) {
  return rows<{ id: number; merged_into_id: number | null }>(
    tx,
    sql`select id, merged_into_id from actors where id in ${ids} order by id for update`,
  );
}

/** A CVR is unique: free it on the merged actors before the survivor takes it. */
export async function freeMergedCvrs(tx: Queryable, mergedIds: number[]): Promise<void> {
  await tx.execute(sql`update actors set cvr = null where id in ${mergedIds}`);
}

/** The survivor takes the chosen values, and is active again if it was archived. */
export async function takeChosenValues(
  tx: Queryable,
  survivorId: number,
  values: Partial<Record<MergeField, unknown>>,
): Promise<void> {
  await tx.execute(sql`update actors set
          ${sql.join(
            MERGE_FIELDS.map((f) => sql`${sql.identifier(COLUMN[f])} = ${values[f]}`),
            sql`, `,
          )},
          status = case when status = 'archived' then 'active' else status end,
          ${nextVersionNowSql()}
          where id = ${survivorId}`);
}

export async function moveGrantsToSurvivor(tx: Queryable, survivorId: number, mergedIds: number[]): Promise<void> {
  await tx.execute(sql`update grants set actor_id = ${survivorId} where actor_id in ${mergedIds}`);
}

export async function moveOutreachToSurvivor(tx: Queryable, survivorId: number, mergedIds: number[]): Promise<void> {
  await tx.execute(sql`update outreach set actor_id = ${survivorId} where actor_id in ${mergedIds}`);
}

export async function moveContactsToSurvivor(tx: Queryable, survivorId: number, mergedIds: number[]): Promise<void> {
  await tx.execute(sql`update actor_contacts set actor_id = ${survivorId} where actor_id in ${mergedIds}`);
}

/** The survivor becomes a party to the merged actors' agreements (once), and they cease to be. */
export async function moveAgreementsToSurvivor(tx: Queryable, survivorId: number, mergedIds: number[]): Promise<void> {
  await tx.execute(sql`insert into agreement_actors (agreement_id, actor_id)
          select distinct agreement_id, ${survivorId}::int from agreement_actors where actor_id in ${mergedIds}
          on conflict do nothing`);
  await tx.execute(sql`delete from agreement_actors where actor_id in ${mergedIds}`);
}

export async function moveTargetGroupsToSurvivor(
  tx: Queryable,
  survivorId: number,
  mergedIds: number[],
): Promise<void> {
  await tx.execute(sql`insert into actor_target_groups (actor_id, target_group_id)
          select distinct ${survivorId}::int, target_group_id from actor_target_groups where actor_id in ${mergedIds}
          on conflict do nothing`);
}

/**
 * The survivor works where the merged actors worked and where they were at home; its own home
 * municipality is not among the others.
 */
export async function moveMunicipalitiesToSurvivor(
  tx: Queryable,
  survivor: { id: number; homeMunicipalityCode: number },
  mergedIds: number[],
): Promise<void> {
  await tx.execute(sql`insert into actor_municipalities (actor_id, municipality_code)
          select distinct ${survivor.id}::int, municipality_code from actor_municipalities where actor_id in ${mergedIds}
          union select ${survivor.id}::int, home_municipality_code from actors where id in ${mergedIds}
          on conflict do nothing`);
  await tx.execute(sql`delete from actor_municipalities
          where actor_id = ${survivor.id} and municipality_code = ${survivor.homeMunicipalityCode}`);
}

/** The merged actors are archived with a pointer to the survivor, so their ids lead there. */
export async function archiveMergedActors(tx: Queryable, survivorId: number, mergedIds: number[]): Promise<void> {
  await tx.execute(sql`update actors set status = 'archived', merged_into_id = ${survivorId},
          ${nextVersionNowSql()} where id in ${mergedIds}`);
  // Actors merged earlier into one of these now lead to the survivor too.
  await tx.execute(sql`update actors set merged_into_id = ${survivorId} where merged_into_id in ${mergedIds}`);
}
