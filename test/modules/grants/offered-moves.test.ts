import t from 'tap';
import { da } from '../../../src/i18n/da.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/**
 * The grant page offers a step only when the service would take it now (issue 19, point 6): no
 * "Markér som udbetalt" before the grant is fully paid, no "Markér som afrapporteret" before the
 * report is in, no award form once the round is decided. Each time, the service is asked too.
 */

t.test('the grant page offers each step only when the service allows it', async (t) => {
  const h = await buildTestApp(t);
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
  }[];
  const group = groups.find((g) => g.nameDa === 'Stofmisbrug')?.id as number;
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors?allowSimilar=true', payload: actorInput() })
  ).json().id as number;
  const round = (
    await h.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2026, name: 'Pulje 2026', budgetOre: 10_000_000 },
    })
  ).json().id as number;
  const apply = async (title: string) =>
    (
      await h.inject({
        method: 'POST',
        url: '/api/v1/grants',
        payload: { roundId: round, actorId: actor, title, requestedOre: 100_000 },
      })
    ).json().id as number;
  const id = await apply('Caféaftener');
  const page = async (grantId = id) => (await h.inject({ method: 'GET', url: `/grants/${grantId}` })).body;
  const version = async () => (await h.inject({ method: 'GET', url: `/api/v1/grants/${id}` })).json().version as number;
  const offers = (body: string, to: string) => body.includes(`name="to" value="${to}"`);
  /** The service's answer to a step, asked on a grant's current version. */
  const tryStep = async (to: string) =>
    (
      await h.inject({
        method: 'POST',
        url: `/api/v1/grants/${id}/transitions`,
        payload: { to, version: await version() },
      })
    ).statusCode;

  t.ok((await page()).includes(`action="/grants/${id}/award"`), 'an application in an open round: the award form');
  const awarded = await h.postForm(`/grants/${id}/award`, {
    version: '1',
    awarded: '1.000',
    wholeTo: String(group),
  });
  t.equal(awarded.statusCode, 303, 'awarded 1.000 kr.');

  let body = await page();
  t.notOk(offers(body, 'paid'), 'nothing paid yet: no "Markér som udbetalt"');
  t.ok(body.includes(da['grant.transition.notPaid']), 'but why not');
  t.equal(await tryStep('paid'), 409, 'and the service would refuse it');

  const pay = async (amount: string) =>
    h.postForm(`/grants/${id}/payments`, {
      version: String(await version()),
      kind: 'payment',
      paidOn: '2026-05-01',
      amount,
    });
  t.equal((await pay('400')).statusCode, 303, 'a first instalment of 400 kr.');
  t.notOk(offers(await page(), 'paid'), 'partly paid: still not offered');
  t.equal(await tryStep('paid'), 409, 'and still refused');

  t.equal((await pay('600')).statusCode, 303, 'the rest');
  body = await page();
  t.ok(offers(body, 'paid'), 'fully paid: "Markér som udbetalt" is offered');
  t.ok(body.includes(da['grant.mark.paid']));
  const paid = await h.postForm(`/grants/${id}/transition`, {
    version: String(await version()),
    to: 'paid',
    confirm: 'yes',
  });
  t.equal(paid.statusCode, 303, 'and the button works');

  body = await page();
  t.notOk(offers(body, 'accounted'), 'no report yet: not offered to mark as accounted');
  t.ok(body.includes('id="next-step"'), 'but told why');
  t.equal(await tryStep('accounted'), 409, 'and the service would refuse it');
  const report = await h.postForm(`/grants/${id}/report`, {
    version: String(await version()),
    reportReceivedOn: '2027-05-01',
  });
  t.equal(report.statusCode, 303, 'the report is in');
  t.ok(offers(await page(), 'accounted'), 'now offered');
  t.equal(await tryStep('accounted'), 200, 'and taken');
  t.ok(offers(await page(), 'closed'), 'then closing is offered');
  t.equal(await tryStep('closed'), 200, 'and taken');
  body = await page();
  t.notOk(/name="to" value="\w+"/.test(body), 'a closed grant offers no step');

  // A decided round takes no awards: the form is not offered, and the service refuses one.
  const late = await apply('Sen ansøgning');
  for (let v = 1; v <= 3; v++) {
    const res = await h.postForm(`/grant-rounds/${round}/advance`, { version: String(v), confirm: 'yes' });
    t.equal(res.statusCode, 303, `round advanced (${v})`);
  }
  body = await page(late);
  t.notOk(body.includes(`action="/grants/${late}/award"`), 'a decided round: no award form');
  t.ok(body.includes(da['grant.round.decided']), 'but why not');
  t.ok(offers(body, 'rejected'), 'rejecting is still offered');
  const award = await h.inject({
    method: 'POST',
    url: `/api/v1/grants/${late}/transitions`,
    payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: group },
  });
  t.equal(award.statusCode, 409, 'and the service refuses an award');
  t.equal(award.json().code, 'ROUND_DECIDED');
});
