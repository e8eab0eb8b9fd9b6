import { sql } from 'drizzle-orm';
import t from 'tap';
import { IntMap } from '../../../src/lib/int-set.ts';
import { compareGrants, reachedTwice } from '../../../src/modules/imports/imports.grant-compare.ts';
import type { GrantRowPlan } from '../../../src/modules/imports/imports.grant-rows.ts';
import type { ExistingGrant } from '../../../src/modules/imports/imports.matching.repository.ts';
import { CVR, firstImport, settled } from './reimport-fixture.ts';
import { uploadApi } from './upload.ts';

/**
 * Two rows of a file on one registered grant are a problem. Only a round or an actor that two keys
 * of the file resolve to can bring two rows to one grant, so only grants reached through one are
 * remembered: a re-import of a million rows keeps no map of the million grants it matched.
 */

const row = (line: number, roundKey: string, actorKey: string, externalRef: string | null): GrantRowPlan => ({
  line,
  externalRef,
  actorKey,
  actorName: actorKey,
  cvr: null,
  title: 'Morgenmad',
  titleGiven: true,
  purpose: null,
  year: 2025,
  roundKey,
  roundName: null,
  roundAsWritten: null,
  requestedOre: 100,
  awardedOre: 100,
  status: 'approved',
  targetGroupId: 1,
  groupGiven: true,
  decisionOn: null,
});

const registered = (id: number, actorId: number, externalRef: string | null): ExistingGrant => ({
  id,
  roundId: 7,
  actorId,
  title: 'Morgenmad',
  purpose: null,
  externalRef,
  requestedOre: 100,
  awardedOre: 100,
  decisionOn: null,
  status: 'approved',
  groupIds: [1],
  version: 1,
});

t.test('only grants reached through a shared round or actor are remembered', async (t) => {
  const existing = [registered(1, 11, 'R-1'), registered(2, 12, 'R-2'), registered(3, 13, null)];
  const rows = [row(2, '2025:', 'a', 'R-1'), row(3, '2025:', 'b', 'R-2'), row(4, '2025:', 'c', null)];
  const actorIds = new Map([
    ['a', 11],
    ['b', 12],
    ['c', 13],
  ]);
  const columnOf = (f: string) => f;

  const roundIds = new Map([['2025:', 7]]);
  const taken = new IntMap();
  const alone = compareGrants(rows, roundIds, actorIds, existing, columnOf, sharedOf(roundIds, actorIds), taken);
  t.same(
    alone.map((c) => c.kind),
    ['skip', 'skip', 'skip'],
  );
  t.equal(taken.size, 0, 'a round and actors of one key each: nothing kept');

  // "Puljen" and the year's nameless round are one registered round: case numbers may meet there.
  const twoKeys = new Map([
    ['2025:', 7],
    ['2025:puljen', 7],
  ]);
  const viaRound = new IntMap();
  const again = [...rows, row(5, '2025:puljen', 'a', 'R-1')];
  const changes = compareGrants(again, twoKeys, actorIds, existing, columnOf, sharedOf(twoKeys, actorIds), viaRound);
  t.equal(viaRound.size, 3, 'each grant of the shared round is kept');
  t.match(changes[3], { kind: 'invalid', problem: { line: 5, message: 'import.sameGrant', params: { first: 2 } } });

  // Two actors of the file that are one registered actor: rows without a case number may meet.
  const oneActor = new Map([...actorIds, ['d', 13]]);
  const viaActor = new IntMap();
  const byActor = compareGrants(
    [...rows, row(6, '2025:', 'd', null)],
    roundIds,
    oneActor,
    existing,
    columnOf,
    sharedOf(roundIds, oneActor),
    viaActor,
  );
  t.equal(viaActor.size, 1, 'only the grant of the shared actor is kept');
  t.match(byActor[3], { kind: 'invalid', problem: { line: 6, message: 'import.sameGrant', params: { first: 4 } } });
});

function sharedOf(rounds: Map<string, number | null>, actors: Map<string, number | null>) {
  return { rounds: reachedTwice(rounds), actors: reachedTwice(actors) };
}

t.test('two actors of a file chosen as one registered actor, on one grant without a case number', async (t) => {
  const { h, finance } = await firstImport(t);
  const noRef = ['Forening;CVR;Projekt;År;Bevilget;Målgruppe', `Varmestuen Vest;${CVR};Suppe;2025;1.000;Stofmisbrug`];
  const first = (await uploadApi(finance, 'grants', Buffer.from(noRef.join('\n')))).json();
  t.equal(first.status, 'queued', JSON.stringify(first.problems));
  t.match(await settled(h, finance, first.id), { status: 'done', createdCount: 1 });

  const [actor] = await h.database.rows<{ id: number }>(sql`select id from actors where cvr = ${CVR}`);
  // "Varmestuen Vest ApS" is put to the user as like "Varmestuen Vest", who says it is that actor.
  const file = [...noRef, 'Varmestuen Vest ApS;;Suppe;2025;1.000;Stofmisbrug'].join('\n');
  const item = (
    await uploadApi(finance, 'grants', Buffer.from(file), {
      actorChoices: JSON.stringify({ 'name:varmestuenvestaps': actor?.id }),
    })
  ).json();
  t.equal(item.status, 'invalid', JSON.stringify(item.summary?.matches));
  t.match(item.problems, [{ line: 3, column: 'Projekt', message: 'import.sameGrant', params: { first: 2 } }]);
});
