import t from 'tap';
import { addDays, danishDate } from '../../../src/lib/dates.ts';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/**
 * Issue 19, point 13: two years' grants to one actor, both "Tilskud til Café Klare", must not look
 * alike on the follow-up page: each report names its round and the round's year.
 */
t.test('reports due name their round and its year', async (t) => {
  const h = await buildTestApp(t);
  const actor = (
    await h.inject({ method: 'POST', url: '/api/v1/actors', payload: actorInput({ name: 'Café Klare', contacts: [] }) })
  ).json() as { id: number };
  const groups = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as { id: number }[];
  const today = danishDate();
  const ids: number[] = [];
  for (const [year, dueOn] of [
    [2025, addDays(today, -3)],
    [2026, addDays(today, 5)],
  ] as const) {
    const round = (
      await h.inject({
        method: 'POST',
        url: '/api/v1/grant-rounds',
        payload: { year, name: '§ 18-puljen', budgetOre: 10_000_000 },
      })
    ).json();
    const grant = (
      await h.inject({
        method: 'POST',
        url: '/api/v1/grants',
        payload: { roundId: round.id, actorId: actor.id, title: 'Tilskud til Café Klare', requestedOre: 100_000 },
      })
    ).json();
    const approved = await h.inject({
      method: 'POST',
      url: `/api/v1/grants/${grant.id}/transitions`,
      payload: { to: 'approved', version: 1, awardedOre: 100_000, targetGroupId: groups[0]?.id },
    });
    const patched = await h.inject({
      method: 'PATCH',
      url: `/api/v1/grants/${grant.id}`,
      payload: { version: approved.json().version, reportDueOn: dueOn },
    });
    t.equal(patched.statusCode, 200, `the ${year} grant's report is due ${dueOn}`);
    ids.push(grant.id);
  }
  const page = await h.inject({ method: 'GET', url: '/' });
  t.equal(page.statusCode, 200);
  for (const [i, year] of [2025, 2026].entries()) {
    t.match(
      page.body,
      new RegExp(`href="/grants/${ids[i]}">Tilskud til Café Klare</a> · Café Klare · § 18-puljen \\(${year}\\)`),
      `the ${year} grant names its round and year`,
    );
    t.match(
      page.body.slice(page.body.indexOf('id="h-changes"')),
      new RegExp(`href="/grants/${ids[i]}">Tilskud til Café Klare</a> · § 18-puljen \\(${year}\\)\\s*· Bevilling`),
      `and among the recent changes, the ${year} grant too`,
    );
  }
});
