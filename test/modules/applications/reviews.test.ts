import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp, type Client, readReferences, type TestApp } from '../../helper.ts';
import { associationForm, ffbGroup, roundOf, visitor } from './fixture.ts';

/**
 * Issue 21, review: reviewers of the round's municipality score each application on the round's
 * criteria (1–5, comments), versioned; a declared conflict of interest keeps a reviewer out and
 * withdraws their scores; the committee sees the scores side by side, ranked, against the budget left.
 */

interface Setup {
  h: TestApp;
  roundId: number;
  criteria: number[];
  coordinator: Client;
  finance: Client;
  apps: { a: number; b: number; c: number };
}

/** A round of 1.000.000 kr. with two criteria, 200.000 kr. awarded, and three applications sent to it. */
async function setup(t: Test): Promise<Setup> {
  const h = await buildTestApp(t);
  const roundId = await roundOf(h, 'Pulje til fællesskaber');
  const finance = await h.as('finance', 101);
  const coordinator = await h.as('coordinator', 101);
  const round = (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${roundId}` })).json();
  const patched = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${roundId}`,
    payload: {
      version: round.version,
      criteria: [
        { title: 'Rækker ud til målgruppen', description: 'Når projektet dem, puljen prioriterer?' },
        { title: 'Realistisk budget' },
      ],
    },
  });
  if (patched.statusCode !== 200) throw new Error(patched.body);
  const criteria = (patched.json().criteria as { id: number }[]).map((c) => c.id);
  const groupId = await ffbGroup(h, 'Hjemløshed');
  // 200.000 kr. already awarded from the round.
  const actor = await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({ name: 'Herberget Nørrebro', cvr: validCvr(5151), targetGroupIds: [groupId] }),
  });
  const grant = await finance.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: { roundId, actorId: actor.json().id, title: 'Nattevagt', requestedOre: 20_000_000 },
  });
  const awarded = await finance.inject({
    method: 'POST',
    url: `/api/v1/grants/${grant.json().id}/transitions`,
    payload: { to: 'approved', version: 1, awardedOre: 20_000_000, targetGroupId: groupId },
  });
  if (awarded.statusCode !== 200) throw new Error(awarded.body);
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page);
  const send = async (title: string, applied: string, email: string) => {
    const res = await v.post(page, associationForm(groupId, { projectTitle: title, applied, contactEmail: email }));
    if (res.statusCode !== 303) throw new Error(`not sent: ${res.statusCode}`);
    const [row] = await h.database.rows<{ id: number }>(
      sql`select id from applications where project_title = ${title}`,
    );
    return row?.id as number;
  };
  const apps = {
    a: await send('Fællesspisning', '400.000', 'a@forening.dk'),
    b: await send('Gåture for ensomme', '300.000', 'b@forening.dk'),
    c: await send('Værested om natten', '500.000', 'c@forening.dk'),
  };
  return { h, roundId, criteria, coordinator, finance, apps };
}

/** The review form as a browser sends it: a score (and comment) per criterion, in order. */
function reviewForm(criteria: number[], scores: (number | '')[], extra: Record<string, string> = {}) {
  const form: Record<string, string> = {};
  criteria.forEach((id, i) => {
    form[`scores[${i}][criterionId]`] = String(id);
    form[`scores[${i}][score]`] = String(scores[i] ?? '');
    form[`scores[${i}][comment]`] = '';
  });
  return { ...form, ...extra };
}

const statusOf = async (h: TestApp, id: number) =>
  (await h.database.rows<{ status: string }>(sql`select status from applications where id = ${id}`))[0]?.status;

t.test('two reviewers score; the committee sees them side by side, ranked, with the budget left', async (t) => {
  const { h, roundId, criteria, coordinator, finance, apps } = await setup(t);

  const form = await coordinator.inject({ method: 'GET', url: `/applications/${apps.a}/review` });
  t.equal(form.statusCode, 200);
  t.match(form.body, /Vurder ansøgningen »Fællesspisning«/);
  t.match(form.body, /Foreningen Fællesskab/, 'the applicant');
  t.match(form.body, /400\.000,00 kr\./, 'the amount applied for');
  t.match(form.body, /Hjemløshed: forventet 25 deltagere/, 'the target groups');
  t.match(form.body, /<legend class="form-label">1\. Rækker ud til målgruppen<\/legend>/, 'a fieldset per criterion');
  t.match(form.body, /type="radio" id="field-scores-1-score-5" name="scores\[1\]\[score\]" value="5"/);
  t.match(readReferences(form.body), /<label for="field-scores-0-score">1 – svagt<\/label>/, 'each radio labelled');
  t.match(form.body, /href="\/applications\/\d+"/, 'a link back to the application');

  t.equal(await statusOf(h, apps.a), 'submitted');
  const saved = await coordinator.postForm(
    `/applications/${apps.a}/review`,
    reviewForm(criteria, [4, 5], { comment: 'God idé' }),
  );
  t.equal(saved.statusCode, 303, saved.body);
  t.equal(saved.headers.location, `/applications/${apps.a}/review`);
  t.equal(await statusOf(h, apps.a), 'under_review', 'the first review moves the application to under review');
  const again = await coordinator.inject({ method: 'GET', url: `/applications/${apps.a}/review` });
  t.match(again.body, /value="4" checked/, 'the saved score is shown');
  t.match(again.body, /God idé/);
  t.match(again.body, /name="version" value="1"/);

  t.equal((await finance.postForm(`/applications/${apps.a}/review`, reviewForm(criteria, [2, 3]))).statusCode, 303);
  t.equal((await coordinator.postForm(`/applications/${apps.b}/review`, reviewForm(criteria, [5, 5]))).statusCode, 303);
  t.equal((await finance.postForm(`/applications/${apps.b}/review`, reviewForm(criteria, [5, 4]))).statusCode, 303);
  t.equal(await statusOf(h, apps.c), 'submitted', 'an application nobody reviewed stays new');

  const audit = await h.database.rows<{ action: string; entity: string }>(
    sql`select entity, action from audit_log where entity in ('application_review', 'application') and entity_id = ${String(apps.a)} or (entity = 'application_review' and action = 'create')`,
  );
  t.ok(
    audit.some((e) => e.entity === 'application' && e.action === 'application_review_started'),
    'the move is audited',
  );
  t.equal(
    audit.filter((e) => e.entity === 'application_review' && e.action === 'create').length,
    4,
    'each review audited',
  );

  const round = await h.inject({ method: 'GET', url: `/grant-rounds/${roundId}` });
  t.match(round.body, new RegExp(`href="/grant-rounds/${roundId}/reviews"`), 'the round links to the committee view');

  const view = await h.inject({ method: 'GET', url: `/grant-rounds/${roundId}/reviews` });
  t.equal(view.statusCode, 200);
  t.match(view.body, /Test coordinator 101 · Test finance 101/, 'the reviewers named in the caption, in order');
  const order = [apps.b, apps.a, apps.c].map((id) => view.body.indexOf(`id="committee-row-${id}"`));
  t.ok(
    order.every((p) => p > 0),
    'each application has its row',
  );
  t.same(
    [...order].sort((x, y) => x - y),
    order,
    'ranked by average: B, A, C',
  );
  const rowOf = (id: number) => {
    const start = view.body.indexOf(`id="committee-row-${id}"`);
    return view.body.slice(start, view.body.indexOf('</tr>', start));
  };
  t.match(
    rowOf(apps.a),
    /<strong>3,0<\/strong>[\s\S]*4 · 2[\s\S]*<strong>4,0<\/strong>[\s\S]*5 · 3/,
    'A per criterion',
  );
  t.match(rowOf(apps.a), /Test coordinator 101: 4, Test finance 101: 2/, 'named for a screen reader');
  t.match(rowOf(apps.a), /<strong>3,5<\/strong>/, 'A in all');
  t.match(rowOf(apps.b), /<strong>4,8<\/strong>/, 'B in all (4,75)');
  t.match(view.body, /Budget<\/dt><dd>1\.000\.000,00 kr\./);
  t.match(view.body, /Bevilget<\/dt><dd>200\.000,00 kr\./);
  t.match(view.body, /Restbudget<\/dt><dd>800\.000,00 kr\./);
  t.match(rowOf(apps.b), /300\.000,00 kr\.[\s\S]*Inden for restbudgettet/);
  t.match(rowOf(apps.a), /700\.000,00 kr\.[\s\S]*Inden for restbudgettet/);
  t.match(rowOf(apps.c), /1\.200\.000,00 kr\.[\s\S]*Over restbudgettet/, 'where the budget left runs out');
  t.match(rowOf(apps.c), /samspil-over-budget/);

  // A decided application stays in the view but not in the running sum.
  await h.database.rows(
    sql`update applications set status = 'rejected', decided_at = now(), decided_by = ${h.user.id} where id = ${apps.b}`,
  );
  const after = await h.inject({ method: 'GET', url: `/grant-rounds/${roundId}/reviews` });
  t.match(after.body, /400\.000,00 kr\.[\s\S]*Inden for restbudgettet/);
  t.match(after.body, new RegExp(`committee-row-${apps.b}[\\s\\S]*?Afslået`));
});

t.test('the form refuses what is not valid, and a stale version is 409', async (t) => {
  const { h, criteria, coordinator, apps } = await setup(t);
  const url = `/applications/${apps.a}/review`;
  const missing = await coordinator.postForm(url, reviewForm(criteria, [4, '']));
  t.equal(missing.statusCode, 422);
  t.match(missing.body, /id="error-summary"/);
  t.match(missing.body, /href="#field-scores-1-score">Kriterium 2: Vælg et point fra 1 til 5\./);
  t.match(missing.body, /value="4" checked/, 'the score chosen is kept');
  const tooHigh = await coordinator.postForm(url, reviewForm(criteria, [4, 7]));
  t.equal(tooHigh.statusCode, 422);
  t.match(tooHigh.body, /Pointet skal være et helt tal fra 1 til 5/);
  const long = await coordinator.postForm(url, reviewForm(criteria, [4, 4], { comment: 'x'.repeat(4001) }));
  t.equal(long.statusCode, 422);
  const rows = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from application_review_scores`);
  t.equal(rows[0]?.n, 0, 'nothing saved');
  t.equal(await statusOf(h, apps.a), 'submitted');

  t.equal((await coordinator.postForm(url, reviewForm(criteria, [4, 4]))).statusCode, 303);
  t.equal((await coordinator.postForm(url, reviewForm(criteria, [3, 3], { version: '1' }))).statusCode, 303);
  const stale = await coordinator.postForm(url, reviewForm(criteria, [1, 1], { version: '1' }));
  t.equal(stale.statusCode, 409, 'an old version is refused');
  t.match(stale.body, /gemt et andet sted/);
  t.match(stale.body, /name="version" value="2"/, 'with the current version');
  t.match(stale.body, /value="3" checked/, 'and the scores as saved now');
  const stored = await h.database.rows<{ score: number }>(
    sql`select score from application_review_scores where application_id = ${apps.a}`,
  );
  t.same(
    stored.map((r) => r.score),
    [3, 3],
    'the stale save changed nothing',
  );
  const api = await coordinator.inject({
    method: 'POST',
    url: `/api/v1/applications/${apps.a}/reviews`,
    payload: { scores: criteria.map((criterionId) => ({ criterionId, score: 2 })) },
  });
  t.equal(api.statusCode, 409, 'a change without the version read');
  t.equal(api.json().code, 'STALE_VERSION');
});

t.test('a conflict of interest keeps the reviewer out and withdraws their scores', async (t) => {
  const { h, roundId, criteria, coordinator, finance, apps } = await setup(t);
  const url = `/applications/${apps.a}/review`;
  t.equal((await coordinator.postForm(url, reviewForm(criteria, [4, 5]))).statusCode, 303);
  t.equal((await finance.postForm(url, reviewForm(criteria, [2, 3]))).statusCode, 303);

  const noReason = await finance.postForm(`${url}/conflict`, { reason: ' ' });
  t.equal(noReason.statusCode, 422);
  t.match(noReason.body, /Skriv kort, hvorfor du er inhabil/);
  const asked = await finance.postForm(`${url}/conflict`, { reason: 'Min søster er formand' });
  t.equal(asked.statusCode, 200, 'asked first');
  t.match(asked.body, /Erklær dig inhabil i »Fællesspisning«\?/);
  t.match(asked.body, /name="reason" value="Min søster er formand"/);
  const none = await h.database.rows<{ n: number }>(sql`select count(*)::int as n from application_conflicts`);
  t.equal(none[0]?.n, 0, 'nothing declared before the yes');
  const declared = await finance.postForm(`${url}/conflict`, { reason: 'Min søster er formand', confirm: 'yes' });
  t.equal(declared.statusCode, 303);
  const [conflict] = await h.database.rows<{ reason: string }>(
    sql`select reason from application_conflicts where application_id = ${apps.a} and user_id = ${finance.user.id}`,
  );
  t.equal(conflict?.reason, 'Min søster er formand');
  const [audited] = await h.database.rows<{ after: Record<string, unknown> }>(
    sql`select after from audit_log where entity = 'application_conflict' and action = 'declare'`,
  );
  t.ok(audited, 'audited');
  t.notMatch(JSON.stringify(audited?.after), /søster/, 'the reason by reference only');

  const page = await finance.inject({ method: 'GET', url });
  t.match(page.body, /id="review-conflicted"/);
  t.notMatch(page.body, /id="review-form"/, 'no form to score with');
  const refused = await finance.postForm(url, reviewForm(criteria, [5, 5]));
  t.equal(refused.statusCode, 403);
  const api = await finance.inject({
    method: 'POST',
    url: `/api/v1/applications/${apps.a}/reviews`,
    payload: { scores: criteria.map((criterionId) => ({ criterionId, score: 5 })) },
  });
  t.equal(api.statusCode, 403);
  t.equal(api.json().code, 'REVIEWER_CONFLICTED');
  const theirs = await finance.inject({ method: 'GET', url: `/api/v1/applications/${apps.a}/reviews` });
  t.equal(theirs.statusCode, 403, 'they do not see the others’ scores');
  t.equal(theirs.json().code, 'REVIEWER_CONFLICTED');
  const again = await finance.postForm(`${url}/conflict`, { reason: 'Igen', confirm: 'yes' });
  t.equal(again.statusCode, 409, 'declared once');

  const read = await h.inject({ method: 'GET', url: `/api/v1/applications/${apps.a}/reviews` });
  t.equal(read.statusCode, 200);
  const body = read.json();
  t.same(
    body.reviews.map((r: { reviewerId: number }) => r.reviewerId),
    [coordinator.user.id],
    'the withdrawn review is not shown',
  );
  t.same(
    body.criteria.map((c: { average: number }) => c.average),
    [4, 5],
    'nor counted',
  );
  t.equal(body.average, 4.5);
  t.same(
    body.conflicts.map((c: { userId: number }) => c.userId),
    [finance.user.id],
  );

  const view = await h.inject({ method: 'GET', url: `/grant-rounds/${roundId}/reviews` });
  const start = view.body.indexOf(`id="committee-row-${apps.a}"`);
  const row = view.body.slice(start, view.body.indexOf('</tr>', start));
  t.match(row, /<strong>4,0<\/strong>[\s\S]*4 · inhabil/, 'shown as inhabil');
  t.match(row, /<strong>4,5<\/strong>/, 'the average without their scores');
  const theirView = await finance.inject({ method: 'GET', url: `/grant-rounds/${roundId}/reviews` });
  const s2 = theirView.body.indexOf(`id="committee-row-${apps.a}"`);
  const theirRow = theirView.body.slice(s2, theirView.body.indexOf('</tr>', s2));
  t.match(theirRow, /Skjult, fordi du er inhabil/);
  t.notMatch(theirRow, /4,5|4 · inhabil/, 'the conflicted reviewer sees no scores of it');
  // Nor its place: its rank and budget mark would tell the others' scores. It is listed apart, last.
  const rankOf = (r: string) => /<td class="samspil-num">([^<]*)<\/td>/.exec(r)?.[1];
  t.equal(rankOf(row), '1', 'ranked first for the others');
  t.equal(readReferences(rankOf(theirRow) ?? ''), '–', 'no rank for the conflicted viewer');
  t.notMatch(theirRow, /restbudgettet/, 'no within- or over-budget mark');
  t.notMatch(theirRow, /400\.000,00 kr\.[\s\S]*400\.000,00 kr\./, 'no running sum');
  t.match(theirRow, /Uden for rækkefølgen, fordi du er inhabil/);
  t.notMatch(theirRow, /samspil-over-budget/);
  for (const other of [apps.b, apps.c])
    t.ok(theirView.body.indexOf(`id="committee-row-${other}"`) < s2, 'listed after the applications ranked');
  const bStart = theirView.body.indexOf(`id="committee-row-${apps.b}"`);
  const bRow = theirView.body.slice(bStart, theirView.body.indexOf('</tr>', bStart));
  t.equal(rankOf(bRow), '1', 'the others are ranked without it');
  t.notMatch(bRow, /700\.000,00/, 'and its amount is not in their running sum');

  const reviews = h.app.services.reviews;
  await t.rejects(reviews.assertNotConflicted(apps.a, finance.user.id), { code: 'REVIEWER_CONFLICTED' });
  await t.resolves(reviews.assertNotConflicted(apps.a, coordinator.user.id));
  await t.resolves(reviews.assertNotConflicted(apps.b, finance.user.id), 'only on that application');
});

t.test('who may review: the round’s municipality, not its viewers; decided and draft applications', async (t) => {
  const { h, roundId, criteria, apps } = await setup(t);
  const foreign = await h.as('admin', 751);
  const viewer = await h.as('viewer', 101);
  const url = `/applications/${apps.a}/review`;
  const body = { scores: criteria.map((criterionId) => ({ criterionId, score: 3 })) };
  for (const [who, client, status] of [
    ['another municipality', foreign, 404],
    ['a viewer', viewer, 403],
  ] as const) {
    t.equal((await client.inject({ method: 'GET', url })).statusCode, status, `${who}: the form`);
    t.equal((await client.postForm(url, reviewForm(criteria, [3, 3]))).statusCode, status, `${who}: saving`);
    t.equal((await client.postForm(`${url}/conflict`, { reason: 'x' })).statusCode, status, `${who}: conflict`);
    const committee = await client.inject({ method: 'GET', url: `/grant-rounds/${roundId}/reviews` });
    t.equal(committee.statusCode, status, `${who}: the committee view`);
    const api = `/api/v1/applications/${apps.a}/reviews`;
    t.equal((await client.inject({ method: 'GET', url: api })).statusCode, status, `${who}: API read`);
    t.equal((await client.inject({ method: 'POST', url: api, payload: body })).statusCode, status, `${who}: API`);
  }
  const viewerRound = await viewer.inject({ method: 'GET', url: `/grant-rounds/${roundId}` });
  t.notMatch(viewerRound.body, /\/reviews"/, 'no link for a viewer');
  const anon = await h.anonymous({ method: 'GET', url });
  t.equal(anon.statusCode, 303);
  t.match(String(anon.headers.location), /^\/login/);
  const written = await h.database.rows<{ n: number }>(
    sql`select (select count(*) from application_reviews) + (select count(*) from application_conflicts) as n`,
  );
  t.equal(Number(written[0]?.n), 0, 'nothing written');

  await h.database.rows(
    sql`update applications set status = 'approved', decided_at = now(), decided_by = ${h.user.id} where id = ${apps.a}`,
  );
  const decided = await h.postForm(url, reviewForm(criteria, [3, 3]));
  t.equal(decided.statusCode, 409);
  const decidedApi = await h.inject({ method: 'POST', url: `/api/v1/applications/${apps.a}/reviews`, payload: body });
  t.equal(decidedApi.statusCode, 409);
  t.equal(decidedApi.json().code, 'APPLICATION_DECIDED');
  const page = await h.inject({ method: 'GET', url });
  t.equal(page.statusCode, 200);
  t.match(page.body, /id="review-decided"/);
  t.notMatch(page.body, /id="conflict-form"/);

  await h.database.rows(sql`update applications set status = 'draft' where id = ${apps.c}`);
  t.equal((await h.inject({ method: 'GET', url: `/applications/${apps.c}/review` })).statusCode, 404, 'a draft');
  t.equal((await h.inject({ method: 'GET', url: '/applications/999999/review' })).statusCode, 404);
});

t.test('the API: 201 with the stored review; criteria of another round are refused', async (t) => {
  const { h, criteria, finance, apps } = await setup(t);
  const other = await roundOf(h, 'En anden pulje');
  const round = (await finance.inject({ method: 'GET', url: `/api/v1/grant-rounds/${other}` })).json();
  const patched = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${other}`,
    payload: { version: round.version, criteria: [{ title: 'Andet kriterium' }] },
  });
  const foreignCriterion = patched.json().criteria[0].id as number;
  const url = `/api/v1/applications/${apps.a}/reviews`;

  const wrong = await finance.inject({
    method: 'POST',
    url,
    payload: {
      scores: [
        { criterionId: criteria[0], score: 3 },
        { criterionId: foreignCriterion, score: 3 },
      ],
    },
  });
  t.equal(wrong.statusCode, 400);
  t.equal(wrong.json().code, 'REVIEW_CRITERION_UNKNOWN');
  const partial = await finance.inject({
    method: 'POST',
    url,
    payload: { scores: [{ criterionId: criteria[0], score: 3 }] },
  });
  t.equal(partial.statusCode, 400, 'every criterion is scored');
  t.equal(partial.json().code, 'VALIDATION_FAILED');
  const outOfRange = await finance.inject({
    method: 'POST',
    url,
    payload: { scores: [{ criterionId: criteria[0], score: 0 }] },
  });
  t.equal(outOfRange.statusCode, 400);

  const created = await finance.inject({
    method: 'POST',
    url,
    payload: {
      scores: [
        { criterionId: criteria[0], score: 4, comment: 'Tydelig målgruppe' },
        { criterionId: criteria[1], score: 2 },
      ],
      comment: 'Budgettet er stramt',
    },
  });
  t.equal(created.statusCode, 201, created.body);
  t.match(created.json(), {
    applicationId: apps.a,
    reviewerId: finance.user.id,
    reviewerName: 'Test finance 101',
    comment: 'Budgettet er stramt',
    version: 1,
    scores: [
      { criterionId: criteria[0], score: 4, comment: 'Tydelig målgruppe' },
      { criterionId: criteria[1], score: 2, comment: null },
    ],
  });
  t.equal(await statusOf(h, apps.a), 'under_review');
  const updated = await finance.inject({
    method: 'POST',
    url,
    payload: { version: 1, scores: criteria.map((criterionId) => ({ criterionId, score: 5 })) },
  });
  t.equal(updated.statusCode, 201);
  t.equal(updated.json().version, 2);
  t.equal(updated.json().comment, null);
  const read = await h.inject({ method: 'GET', url });
  t.equal(read.statusCode, 200);
  t.match(read.json(), { applicationId: apps.a, status: 'under_review', average: 5, conflicts: [] });
});
