import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp, writesHeard } from '../../helper.ts';
import { associationForm, ffbGroup, roundOf, visitor } from '../applications/fixture.ts';

/**
 * The round page is kept for its municipality (and role and language), but its count of new
 * applications is counted for each request, outside the kept content: an applicant's draft or
 * application, written anywhere, does not empty any kept round page, and the count is still current.
 */
t.test('an applicant’s save leaves the kept round page, and its count of new applications is current', async (t) => {
  const h = await buildTestApp(t, { env: { PAGE_CACHE_TTL_MS: '60000' } });
  const roundId = await roundOf(h, 'Pulje med en holdbar side');
  const homeless = await ffbGroup(h, 'Hjemløshed');
  const coordinator = await h.as('coordinator', 101);
  const aarhus = await h.as('coordinator', 751);
  const url = `/grant-rounds/${roundId}`;
  const inboxLink = /<a href="\/grant-rounds\/\d+\/applications">([^<]*)<\/a>/;
  await writesHeard(h.database);

  const first = await coordinator.inject({ method: 'GET', url });
  t.equal(first.statusCode, 200);
  t.match(first.body, /Pulje med en holdbar side/);
  t.equal(inboxLink.exec(first.body)?.[1], 'Se puljens ansøgninger (ingen nye)');
  t.equal((await aarhus.inject({ method: 'GET', url })).statusCode, 200);

  // Renamed behind the app's back: a page read anew would show the new name.
  await h.database.db.execute(sql`update grant_rounds set name = 'Omdøbt bag appens ryg' where id = ${roundId}`);

  const form = `/public/rounds/${roundId}/apply`;
  const draft = await (await visitor(h.app, form, '198.51.100.1')).post(form, {
    contactEmail: 'kladde@forening.dk',
    projectTitle: 'En kladde',
    intent: 'draft',
  });
  t.equal(draft.statusCode, 303, 'an applicant saves a draft');
  const sent = await (await visitor(h.app, form, '198.51.100.2')).post(form, associationForm(homeless));
  t.equal(sent.statusCode, 303, 'and another sends an application');

  const again = await coordinator.inject({ method: 'GET', url });
  t.match(again.body, /Pulje med en holdbar side/, 'the kept round page is still used');
  t.notMatch(again.body, /Omdøbt bag appens ryg/);
  t.equal(inboxLink.exec(again.body)?.[1], 'Se puljens ansøgninger (1 ny)', 'and its count is the current one');
  const foreign = await aarhus.inject({ method: 'GET', url });
  t.match(foreign.body, /Pulje med en holdbar side/, 'kept for another municipality too');
  t.notMatch(foreign.body, inboxLink, 'which sees no applications');

  // A write in the round's municipality still ends the kept page.
  const finance = await h.as('finance', 101);
  const [round] = await h.database.rows<{ version: number }>(
    sql`select version from grant_rounds where id = ${roundId}`,
  );
  const changed = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${roundId}`,
    payload: { decisionOn: '2027-06-01', version: Number(round?.version) },
  });
  t.equal(changed.statusCode, 200, changed.body);
  t.match((await coordinator.inject({ method: 'GET', url })).body, /Omdøbt bag appens ryg/, 'read anew after it');
});
