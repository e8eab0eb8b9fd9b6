import { sql } from 'drizzle-orm';
import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/**
 * Issue 21: a round's public description, prioritised target groups and criteria, edited by finance
 * on the round's form and through the API: version-checked, audited, and each criterion keeping its
 * id while the round is edited (the review will score applications per criterion).
 */

type Criterion = { id: number; position: number; title: string; description: string | null };

// One app for the file: each test makes rounds of its own names and reads only those.
const h = await buildTestApp(t);

t.test('finance edits a round’s description, target groups and criteria on its form', async (t) => {
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const stof = groups.find((g) => g.nameDa === 'Stofmisbrug')?.id ?? 0;
  const hjem = groups.find((g) => g.nameDa === 'Hjemløshed')?.id ?? 0;
  t.ok(stof && hjem, 'the FFB groups are there');
  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2027, name: '§ 18-puljen 2027', budgetOre: 10_000_000 },
    })
  ).json();
  const read = async () =>
    (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${round.id}` })).json() as {
      version: number;
      description: string | null;
      targetGroupIds: number[];
      criteria: Criterion[];
    };
  const base = { name: '§ 18-puljen 2027', year: '2027', budget: '100.000' };

  const form = await finance.inject({ method: 'GET', url: `/grant-rounds/${round.id}/edit` });
  t.equal(form.statusCode, 200);
  t.match(form.body, /<textarea class="form-input" id="field-description" name="description"/);
  t.match(form.body, /<legend class="form-label">Prioriterede målgrupper/);
  t.match(form.body, /<label class="form-label" for="field-criteria-0-title">Kriterium 1<\/label>/);
  t.match(form.body, /for="field-criteria-2-title">Kriterium 3</, 'three empty rows to begin with');

  const saved = await finance.postForm(`/grant-rounds/${round.id}`, {
    ...base,
    version: '1',
    description: 'Til fællesskaber for udsatte voksne.',
    targetGroupIds: [String(stof), String(hjem)],
    // A blank row between two filled ones is skipped.
    'criteria[0][title]': 'Når ud til de mest udsatte',
    'criteria[0][description]': 'Hvem møder I?',
    'criteria[1][title]': '',
    'criteria[1][description]': '',
    'criteria[2][title]': 'Frivillige bærer arbejdet',
    'criteria[2][description]': '',
  });
  t.equal(saved.statusCode, 303, saved.body.slice(0, 300));
  let now = await read();
  t.equal(now.version, 2);
  t.equal(now.description, 'Til fællesskaber for udsatte voksne.');
  t.same(
    now.targetGroupIds,
    [stof, hjem].sort((a, b) => a - b),
  );
  t.same(
    now.criteria.map((c) => [c.position, c.title, c.description]),
    [
      [1, 'Når ud til de mest udsatte', 'Hvem møder I?'],
      [2, 'Frivillige bærer arbejdet', null],
    ],
  );
  const [first, second] = now.criteria as [Criterion, Criterion];

  const again = await finance.inject({ method: 'GET', url: `/grant-rounds/${round.id}/edit` });
  t.match(again.body, new RegExp(`name="criteria\\[0\\]\\[id\\]" value="${first.id}"`), 'the form keeps the ids');
  t.match(again.body, /name="criteria\[1\]\[title\]" type="text" value="Frivillige bærer arbejdet"/);
  t.match(again.body, new RegExp(`value="${stof}" checked`), 'the chosen groups are ticked');

  // The first criterion reworded, the second emptied (removed), a new one added: the first keeps its id.
  const edited = await finance.postForm(`/grant-rounds/${round.id}`, {
    ...base,
    version: '2',
    description: 'Til fællesskaber for udsatte voksne.',
    targetGroupIds: String(stof),
    'criteria[0][id]': String(first.id),
    'criteria[0][title]': 'Når ud til de allermest udsatte',
    'criteria[1][id]': String(second.id),
    'criteria[1][title]': '',
    'criteria[1][description]': '',
    'criteria[2][title]': 'Samarbejde med kommunen',
  });
  t.equal(edited.statusCode, 303, edited.body.slice(0, 300));
  now = await read();
  t.same(now.targetGroupIds, [stof]);
  t.same(
    now.criteria.map((c) => [c.id === first.id, c.position, c.title]),
    [
      [true, 1, 'Når ud til de allermest udsatte'],
      [false, 2, 'Samarbejde med kommunen'],
    ],
  );
  t.notOk(
    now.criteria.some((c) => c.id === second.id),
    'the emptied criterion is gone',
  );

  // A stale form: 409 with the round as it is now, nothing written.
  const stale = await finance.postForm(`/grant-rounds/${round.id}`, {
    ...base,
    version: '2',
    'criteria[0][title]': 'Forældet kriterium',
  });
  t.equal(stale.statusCode, 409);
  t.match(stale.body, /En anden har ændret puljen imens/);
  t.match(stale.body, /name="version" value="3"/);
  t.match(stale.body, /value="Forældet kriterium"/, 'what the user typed is kept');
  t.equal((await read()).criteria.length, 2, 'nothing written');

  // A description without a title: the error is shown at the row it was typed in.
  const untitled = await finance.postForm(`/grant-rounds/${round.id}`, {
    ...base,
    version: '3',
    'criteria[0][title]': '',
    'criteria[0][description]': '',
    'criteria[1][title]': '',
    'criteria[1][description]': 'Uden titel',
  });
  t.equal(untitled.statusCode, 422);
  t.match(untitled.body, /href="#field-criteria-1-title">Kriterium 2:/, 'the summary names the row');
  t.match(untitled.body, /id="field-criteria-1-title-error"/);

  // Another round's criterion cannot be taken over.
  const other = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2027, name: 'Anden pulje', budgetOre: 100, criteria: [{ title: 'Fremmed' }] },
    })
  ).json();
  t.equal(other.criteria.length, 1, 'a round is created with its criteria');
  const foreign = await finance.postForm(`/grant-rounds/${round.id}`, {
    ...base,
    version: '3',
    'criteria[0][id]': String(other.criteria[0].id),
    'criteria[0][title]': 'Overtaget',
  });
  t.equal(foreign.statusCode, 422, foreign.body.slice(0, 300));
  t.match(foreign.body, /Kriteriet hører ikke til puljen/);
  t.equal((await read()).version, 3, 'nothing written');

  const audit = await h.database.rows<{
    action: string;
    before: Criterion & Record<string, unknown>;
    after: Record<string, unknown>;
  }>(
    sql`select action, before, after from audit_log where entity = 'grant_round' and entity_id = ${String(round.id)} order by id`,
  );
  t.same(
    audit.map((a) => a.action),
    ['create', 'update', 'update'],
  );
  t.same(audit[1]?.before.criteria, [], 'the audit row holds the criteria before');
  t.same(
    ((audit[2]?.before.criteria ?? []) as Criterion[]).map((c) => c.title),
    ['Når ud til de mest udsatte', 'Frivillige bærer arbejdet'],
  );
  t.same(
    ((audit[2]?.after.criteria ?? []) as Criterion[]).map((c) => c.title),
    ['Når ud til de allermest udsatte', 'Samarbejde med kommunen'],
    'and after',
  );
  t.same(audit[2]?.after.targetGroupIds, [stof]);
  t.equal(audit[2]?.after.description, 'Til fællesskaber for udsatte voksne.');

  const viewer = await h.as('viewer', 101);
  const refused = await viewer.postForm(`/grant-rounds/${round.id}`, { ...base, version: '3' });
  t.equal(refused.statusCode, 403, 'a viewer may not change it');
});

t.test('the API changes a round’s criteria by the version read, and checks the ids', async (t) => {
  const finance = await h.as('finance', 101);
  const created = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: {
      year: 2027,
      name: 'API-puljen',
      budgetOre: 100,
      description: 'Beskrivelse',
      criteria: [{ title: 'Et' }, { title: 'To', description: 'Andet kriterium' }],
      targetGroupIds: [999_999],
    },
  });
  t.equal(created.statusCode, 400, 'an unknown target group');
  t.same(created.json().fieldErrors, { targetGroupIds: ['En af målgrupperne findes ikke. Vælg dem på listen.'] });

  const round = (
    await finance.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2027, name: 'API-puljen', budgetOre: 100, criteria: [{ title: 'Et' }, { title: 'To' }] },
    })
  ).json();
  const [one, two] = round.criteria as [Criterion, Criterion];
  const patch = (payload: Record<string, unknown>, headers: Record<string, string> = {}) =>
    finance.inject({ method: 'PATCH', url: `/api/v1/grant-rounds/${round.id}`, payload, headers });

  // Swapped: both keep their ids, in the new order.
  const swapped = await patch({
    version: 1,
    criteria: [
      { id: two.id, title: 'To' },
      { id: one.id, title: 'Et' },
    ],
  });
  t.equal(swapped.statusCode, 200, swapped.body.slice(0, 300));
  t.same(
    swapped.json().criteria.map((c: Criterion) => [c.id, c.position, c.title]),
    [
      [two.id, 1, 'To'],
      [one.id, 2, 'Et'],
    ],
  );
  const stale = await patch({ version: 1, criteria: [] });
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().code, 'STALE_VERSION');
  t.equal(stale.json().current.criteria.length, 2, 'the current criteria come with the 409');
  const twice = await patch({
    version: 2,
    criteria: [
      { id: one.id, title: 'A' },
      { id: one.id, title: 'B' },
    ],
  });
  t.equal(twice.statusCode, 400, 'one criterion named twice');
  // Not naming criteria leaves them as they are.
  const renamed = await patch({ name: 'API-puljen 2027' }, { 'if-match': '2' });
  t.equal(renamed.statusCode, 200, renamed.body.slice(0, 300));
  t.equal(renamed.json().criteria.length, 2);
  const cleared = await patch({ version: 3, criteria: [], description: null });
  t.same(cleared.json().criteria, []);
  t.equal(cleared.json().description, null);
});

t.test('a round read alone (one statement) is the round as a list of rounds reads it', async (t) => {
  const finance = await h.as('finance', 101);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[];
  const made = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: {
      year: 2028,
      name: 'Hele puljen',
      budgetOre: 50_000_000,
      criteria: [{ title: 'Først' }, { title: 'Så', description: 'Og så' }],
      targetGroupIds: [groups[3]?.id, groups[1]?.id],
    },
  });
  t.equal(made.statusCode, 201, made.body.slice(0, 300));
  const round = made.json();
  const actor = (await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput() })).json();
  // Grants in three statuses, written as they stand (the triggers' checks are tested elsewhere).
  await h.database.db.transaction(async (tx) => {
    await tx.execute(sql`set local session_replication_role = replica`);
    await tx.execute(sql`
      insert into grants (round_id, actor_id, title, requested_ore, awarded_ore, status, decision_on, report_due_on, paid_ore)
      values (${round.id}, ${actor.id}, 'Søgt', 100000, null, 'applied', null, '2029-06-01', 0),
        (${round.id}, ${actor.id}, 'Bevilget', 200000, 150000, 'approved', '2028-03-01', '2029-06-01', 0),
        (${round.id}, ${actor.id}, 'Udbetalt', 300000, 250000, 'paid', '2028-03-01', '2029-06-01', 250000),
        (${round.id}, ${actor.id}, 'Også udbetalt', 1000, 1000, 'paid', '2028-03-01', '2029-06-01', 400)`);
  });

  const grants = h.app.services.grants;
  const listed = (await grants.listRounds(101)).find((r) => r.id === round.id);
  t.match(listed, {
    criteria: [{ title: 'Først' }, { title: 'Så', description: 'Og så' }],
    targetGroupIds: [groups[1]?.id, groups[3]?.id],
    grantsByStatus: { applied: 1, approved: 1, paid: 2 },
    requestedOre: '601000',
    awardedOre: '401000',
    paidOre: '250400',
  });
  t.strictSame(await grants.getRound(round.id), listed, 'the round alone as the list reads it');
  const empty = (await grants.listRounds(101)).find((r) => r.name === 'API-puljen 2027');
  t.ok(empty, 'a round without grants, groups or criteria');
  if (empty) t.strictSame(await grants.getRound(empty.id), empty, 'that one too');
  await t.rejects(grants.getRound(2_000_000_000), { code: 'NOT_FOUND' }, 'a round that is not there');
});
