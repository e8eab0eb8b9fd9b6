import { z } from 'zod';
import type { Database } from '../../db/client.ts';
import { AppError, notFound, staleVersion, validationFailed } from '../../lib/errors.ts';
import { rowId, rowVersion } from '../../lib/ids.ts';
import { AccessDenied, mayWrite } from '../../lib/policy.ts';
import type { Principal } from '../../lib/principal.ts';
import { recordAudit } from '../audit/audit.repository.ts';
import {
  archiveMergedActors,
  freeMergedCvrs,
  lockActorsForMerge,
  mergeReach,
  mergeReachPerActor,
  moveAgreementsToSurvivor,
  moveContactsToSurvivor,
  moveGrantsToSurvivor,
  moveMunicipalitiesToSurvivor,
  moveOutreachToSurvivor,
  moveTargetGroupsToSurvivor,
  takeChosenValues,
} from './actors.merge.repository.ts';
import { loadActor } from './actors.repository.ts';
import { type Actor, MERGE_FIELDS, type MergeField } from './actors.schemas.ts';
import { actorAsSeenBy } from './actors.seen.ts';
import { auditSnapshot } from './actors.service.ts';

export const mergeInput = z.object({
  survivorId: rowId.describe('The actor that remains'),
  mergedIds: z.array(rowId).min(1).max(20).describe('The actors merged into it; their ids lead to it afterwards'),
  choose: z
    .partialRecord(z.enum(MERGE_FIELDS), rowId)
    .default({})
    .describe(
      'For a field that differs: the actor whose value is kept (default: the survivor’s, or the first one set)',
    ),
  versions: z.record(z.string(), rowVersion).optional().describe('Actor id → the version you read'),
});
export type MergeInput = z.infer<typeof mergeInput>;

/**
 * Merging duplicate actors: everything that points at the merged actors moves to the one that
 * remains (grants, agreements, outreach, contacts, target groups, municipalities), conflicting
 * fields take the values the user chose, and the merged actors are archived with a pointer to the
 * survivor, so their old ids lead there. One transaction, audited.
 */
export function createActorMergeService(database: Database) {
  const db = database.db;

  async function load(ids: number[]): Promise<Actor[]> {
    const actors: Actor[] = [];
    for (const i of ids) {
      const a = await loadActor(db, i);
      if (!a) throw notFound('actor', i);
      actors.push(a);
    }
    return actors;
  }

  /** Who may merge: a writer of actors in the survivor's municipality; other municipalities' actors need an admin. */
  function assertMayMerge(principal: Principal, survivor: Actor, merged: Actor[]) {
    if (!mayWrite(principal, 'actors', survivor.homeMunicipalityCode))
      throw new AccessDenied('actors', survivor.homeMunicipalityCode);
    const foreign = merged.find((a) => a.homeMunicipalityCode !== survivor.homeMunicipalityCode);
    if (foreign && principal.role !== 'admin') throw new AccessDenied('actors', foreign.homeMunicipalityCode);
  }

  const service = {
    /** What a merge would move and which fields differ, before it is done. */
    async preview(ids: number[]) {
      const unique = [...new Set(ids)];
      if (unique.length < 2) throw validationFailed({ ids: ['merge.twoOrMore'] });
      const actors = await load(unique);
      const counts = await mergeReach(db, unique);
      const conflicts = MERGE_FIELDS.filter(
        (f) => new Set(actors.map((a) => (a[f as keyof Actor] ?? null) as unknown)).size > 1,
      );
      const perActor = await mergeReachPerActor(db, unique);
      // The page compares the actors' own fields; their contact persons stay out of it.
      return { actors: actors.map(({ contacts, ...actor }) => actor), conflicts, counts, perActor };
    },

    async merge(principal: Principal, input: MergeInput): Promise<Actor> {
      const mergedIds = [...new Set(input.mergedIds)].filter((i) => i !== input.survivorId);
      if (!mergedIds.length) throw validationFailed({ mergedIds: ['merge.twoOrMore'] });
      const all = [input.survivorId, ...mergedIds];
      for (const [field, from] of Object.entries(input.choose))
        if (!all.includes(from)) throw validationFailed({ [`choose.${field}`]: ['merge.chooseAmong'] });
      await db.transaction(async (tx) => {
        // Lock them all, in id order, and check what the user saw is still so.
        const locked = await lockActorsForMerge(tx, all);
        const before: Actor[] = [];
        for (const i of all) {
          const a = await loadActor(tx, i);
          if (!a) throw notFound('actor', i);
          before.push(a);
        }
        const [survivor, ...merged] = before as [Actor, ...Actor[]];
        // Permission first: a refused user learns nothing of the actors, not even their versions.
        assertMayMerge(principal, survivor, merged);
        const gone = locked.find((r) => r.merged_into_id !== null);
        if (gone) throw new AppError('ALREADY_MERGED', 409, 'merge.alreadyMerged', { details: { id: gone.id } });
        for (const a of before) {
          const seen = input.versions?.[String(a.id)];
          if (seen !== undefined && seen !== a.version)
            throw staleVersion('actor', await actorAsSeenBy(tx, principal, a));
        }

        // The chosen values: by default the survivor's, or else the first merged actor's that is set.
        const values: Partial<Record<MergeField, unknown>> = {};
        for (const f of MERGE_FIELDS) {
          const from = input.choose[f];
          const source = from
            ? before.find((a) => a.id === from)
            : [survivor, ...merged].find((a) => a[f as keyof Actor] !== null && a[f as keyof Actor] !== undefined);
          values[f] = (source?.[f as keyof Actor] as unknown) ?? null;
        }
        await freeMergedCvrs(tx, mergedIds);
        await takeChosenValues(tx, survivor.id, values);
        // Everything that points at the merged actors moves.
        await moveGrantsToSurvivor(tx, survivor.id, mergedIds);
        await moveOutreachToSurvivor(tx, survivor.id, mergedIds);
        await moveContactsToSurvivor(tx, survivor.id, mergedIds);
        await moveAgreementsToSurvivor(tx, survivor.id, mergedIds);
        await moveTargetGroupsToSurvivor(tx, survivor.id, mergedIds);
        await moveMunicipalitiesToSurvivor(tx, survivor, mergedIds);
        await archiveMergedActors(tx, survivor.id, mergedIds);

        const after = await loadActor(tx, survivor.id);
        await recordAudit(tx, principal, {
          entity: 'actor',
          entityId: survivor.id,
          action: 'merge',
          before: { survivor: survivor.id, merged: merged.map((a) => ({ id: a.id, name: a.name, cvr: a.cvr })) },
          // Contacts by id only, as everywhere else in the trail.
          after: after && auditSnapshot(after),
        });
        for (const a of merged)
          await recordAudit(tx, principal, {
            entity: 'actor',
            entityId: a.id,
            action: 'merged_into',
            before: { id: a.id, name: a.name, cvr: a.cvr, status: a.status },
            after: { mergedIntoId: survivor.id },
          });
      });
      const result = await loadActor(db, input.survivorId);
      if (!result) throw notFound('actor', input.survivorId);
      return result;
    },
  };
  return service;
}

export type ActorMergeService = ReturnType<typeof createActorMergeService>;
