import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';
import { uploadApi } from './upload.ts';

// One app for the file: each test reads only its own import.
const h = await buildTestApp(t);

t.test('a refused commit changes nothing, its version neither, and the 409 carries the import', async (t) => {
  const finance = await h.as('finance', 101);
  const coordinator = await h.as('coordinator', 101);
  await coordinator.inject({
    method: 'POST',
    url: '/api/v1/actors?allowSimilar=true',
    payload: actorInput({ name: 'Gadespejlet Kbh' }),
  });
  const file = Buffer.from(
    ['Forening;Titel;År;Bevilget;Målgruppe', 'Gadespejlet;Gadeavis;2025;3.000;Stofmisbrug'].join('\n'),
  );
  const item = (await uploadApi(finance, 'grants', file)).json();
  t.equal(item.status, 'ready', JSON.stringify(item.problems));
  t.equal(item.summary.matches.length, 1, 'a similar name waits for the user');
  const get = async () => (await finance.inject({ method: 'GET', url: `/api/v1/imports/${item.id}` })).json();
  const before = await get();
  const commit = (payload: object) =>
    finance.inject({ method: 'POST', url: `/api/v1/imports/${item.id}/commit`, payload });

  // Choices that leave the similar name unanswered: refused.
  const unanswered = await commit({ version: item.version, actorChoices: { 'name:nobody': 'new' } });
  t.equal(unanswered.statusCode, 409);
  t.equal(unanswered.json().code, 'IMPORT_UNCONFIRMED');
  t.same(await get(), before, 'the import is as it was');
  t.same(unanswered.json().current, before, 'the 409 carries the import as GET shows it');

  const stale = await commit({ version: item.version + 1, actorChoices: { [item.summary.matches[0].key]: 'new' } });
  t.equal(stale.statusCode, 409);
  t.equal(stale.json().code, 'STALE_VERSION');
  t.same(stale.json().current, before);
  t.same(await get(), before, 'a stale version changes nothing either');

  const plain = await commit({ version: item.version });
  t.match([plain.statusCode, plain.json().code], [409, 'IMPORT_UNCONFIRMED']);
  t.same(plain.json().current, before, 'without choices too');

  const ok = await commit({ version: item.version, actorChoices: { [item.summary.matches[0].key]: 'new' } });
  t.equal(ok.statusCode, 200, ok.body.slice(0, 300));
  t.match(ok.json(), { status: 'queued', version: item.version + 1 });
  const again = await commit({ version: ok.json().version });
  t.equal(again.statusCode, 409, 'a queued import cannot be committed again');
  t.equal(again.json().current.id, item.id);
});

t.test('an invalid import: the 409 of a commit carries its problems, with their text', async (t) => {
  const finance = await h.as('finance', 101);
  const file = Buffer.from(['Forening;Titel;År;Bevilget;Målgruppe', 'X;Y;2025;ikke et beløb;Stofmisbrug'].join('\n'));
  const item = (await uploadApi(finance, 'grants', file)).json();
  t.equal(item.status, 'invalid');
  const refused = await finance.inject({
    method: 'POST',
    url: `/api/v1/imports/${item.id}/commit`,
    payload: { version: item.version, actorChoices: {} },
  });
  t.match([refused.statusCode, refused.json().code], [409, 'IMPORT_NOT_READY']);
  const now = (await finance.inject({ method: 'GET', url: `/api/v1/imports/${item.id}` })).json();
  t.equal(now.version, item.version, 'the version is unchanged');
  t.same(refused.json().current, now);
  t.ok(refused.json().current.problems[0].text, 'each problem with its text');
  const other = await h.as('finance', 751);
  const foreign = await other.inject({
    method: 'POST',
    url: `/api/v1/imports/${item.id}/commit`,
    payload: { version: item.version },
  });
  t.equal(foreign.statusCode, 403, 'another municipality is refused first');
  t.notOk(foreign.json().current, 'and is shown nothing of it');
});
