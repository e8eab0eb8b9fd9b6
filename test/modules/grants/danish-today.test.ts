import t from 'tap';
import { actorInput, validCvr } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/**
 * The grant page proposes today's date for a decision and a payment: today in Denmark. At 00:30
 * Danish summer time on 1 July it is still 30 June in UTC, and the form must say 1 July.
 */
t.test('the grant page proposes the Danish date, not the UTC one', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const round = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: { year: 2026, name: 'Puljen', budgetOre: 10_000_000 },
  });
  const actor = await h.inject({
    method: 'POST',
    url: '/api/v1/actors',
    payload: actorInput({ name: 'Natcaféen', cvr: validCvr(7070) }),
  });
  const grant = await finance.inject({
    method: 'POST',
    url: '/api/v1/grants',
    payload: { roundId: round.json().id, actorId: actor.json().id, title: 'Nattevagt', requestedOre: 100_000 },
  });
  t.equal(grant.statusCode, 201);
  const realNow = Date.now;
  // 2026-06-30 22:30 UTC is 2026-07-01 00:30 in Copenhagen (CEST).
  Date.now = () => Date.parse('2026-06-30T22:30:00Z');
  t.teardown(() => {
    Date.now = realNow;
  });
  const page = await finance.inject({ method: 'GET', url: `/grants/${grant.json().id}` });
  Date.now = realNow;
  t.equal(page.statusCode, 200);
  t.match(
    page.body,
    /name="decisionOn"[^>]*value="2026-07-01"|value="2026-07-01"[^>]*name="decisionOn"/,
    'decision date',
  );
});
