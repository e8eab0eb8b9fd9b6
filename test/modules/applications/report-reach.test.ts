import { sql } from 'drizzle-orm';
import t from 'tap';
import { reachGroups } from '../../../src/modules/applications/applications.reports.rules.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, visitor } from './fixture.ts';

/**
 * Reach is counted once, in the most specific group: the report's groups (the grant's split and
 * the application's own groups) leave out any group another of them lies under, since the
 * proportionality report rolls reach up the tree and people entered at both would count twice at
 * the ancestor. The form's hint says so.
 */
t.test('reachGroups leaves out every group above another listed one', async (t) => {
  // 1 Voksne > 2 Misbrug > 3 Stofmisbrug > 4 Meget belastede (local); 5 Alkoholmisbrug under 2; 6 elsewhere.
  const parentOf = new Map<number, number | null>([
    [1, null],
    [2, 1],
    [3, 2],
    [4, 3],
    [5, 2],
    [6, null],
  ]);
  t.same(reachGroups([3, 2], parentOf), [3], 'the parent of a listed group is left out');
  t.same(reachGroups([2, 4, 1], parentOf), [4], 'so is every group further up');
  t.same(reachGroups([3, 5, 2, 6], parentOf), [3, 5, 6], 'siblings and other branches stay, in order');
  t.same(reachGroups([3, 3, 6], parentOf), [3, 6], 'each group once');
  t.same(reachGroups([7], new Map()), [7], 'a group with no known parent stays');
});

t.test('the report form asks for reach in the most specific groups only', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const roundId = await roundOf(h, 'Pulje med målgrupper i flere led');
  const misbrug = await ffbGroup(h, 'Misbrug');
  const stof = await ffbGroup(h, 'Stofmisbrug');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page);
  // The application names both "Misbrug" and, under it, "Stofmisbrug"; the grant is split on the parent.
  const applied = await v.post(
    page,
    associationForm(misbrug, {
      'targetGroups[1][targetGroupId]': String(stof),
      'targetGroups[1][expectedParticipants]': '10',
    }),
  );
  t.equal(applied.statusCode, 303);
  const token = tokenFrom(applied.headers.location);
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).json();
  const grant = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grants',
      payload: { roundId, actorId: actor.id, title: 'Fællesspisning', requestedOre: 1_000_000 },
    })
  ).json();
  const awarded = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.id}/transitions`,
    payload: { to: 'approved', version: grant.version, awardedOre: 1_000_000, targetGroupId: misbrug },
  });
  t.equal(awarded.statusCode, 200, awarded.body);
  await h.database.rows(
    sql`update applications set status = 'approved', grant_id = ${grant.id}, decided_at = now(),
      decided_by = ${finance.user.id}`,
  );

  const form = await v.get(`/public/applications/${token}/report`);
  const reach = /<fieldset id="field-reach"[\s\S]*?<\/fieldset>/.exec(form.body)?.[0] ?? '';
  const asked = [...reach.matchAll(/name="reach\[\d+\]\[targetGroupId\]" value="(\d+)"/g)].map((m) => Number(m[1]));
  t.same(asked, [stof], 'reach is asked for in Stofmisbrug only, not in Misbrug above it');
  t.match(reach, /aria-describedby="field-reach-hint"/, 'the fieldset is described by its hint');
  t.match(reach, /<p class="form-hint" id="field-reach-hint">[^<]*i den mest præcise målgruppe/, 'which says why');

  const report = (lines: [number, string][]) => ({
    whatWasDone: 'Vi lavede mad sammen hver torsdag i hele året.',
    previousId: '0',
    version: '0',
    ...Object.fromEntries(
      lines.flatMap(([g, n], i) => [
        [`reach[${i}][targetGroupId]`, String(g)],
        [`reach[${i}][participants]`, n],
      ]),
    ),
  });
  const twice = await v.post(
    `/public/applications/${token}/report`,
    report([
      [misbrug, '40'],
      [stof, '40'],
    ]),
  );
  t.equal(twice.statusCode, 422, 'the same people entered at the parent too are refused');
  t.match(twice.body, /Skriv antal deltagere for hver af bevillingens målgrupper/);
  const once = await v.post(`/public/applications/${token}/report`, report([[stof, '40']]));
  t.equal(once.statusCode, 422, 'entered once, only the missing accounts are left to refuse it');
  t.notMatch(once.body, /Skriv antal deltagere for hver af bevillingens målgrupper/);
  t.match(once.body, /id="field-documents-error"|regnskab/i);
});
