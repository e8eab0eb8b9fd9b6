import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';

/** The "Kom i gang" section's links, or none when it is not shown. */
function firstSteps(body: string): string[] {
  const section = /<section aria-labelledby="h-first-steps"[\s\S]*?<\/section>/.exec(body)?.[0];
  return section ? [...section.matchAll(/<li><a href="([^"]+)"/g)].map((m) => m[1] ?? '') : [];
}

t.test(
  'a new municipality is shown its first steps, each until it is taken, and only those the user may take',
  async (t) => {
    const h = await buildTestApp(t, { users: false });
    // Vejen (575): an empty municipality with its first admin.
    const admin = await h.as('admin', 575);
    const first = await admin.inject({ method: 'GET', url: '/' });
    t.equal(first.statusCode, 200);
    t.match(first.body, /<h2 id="h-first-steps">Kom i gang<\/h2>/);
    t.same(firstSteps(first.body), ['/admin/users', '/actors/new', '/grant-rounds#h-new-round']);
    t.match(
      first.body,
      /<a href="\/imports">importér en bevillingsliste<\/a>/,
      'an import is offered beside registering',
    );

    const coordinator = await h.as('coordinator', 575);
    t.same(
      firstSteps((await coordinator.inject({ method: 'GET', url: '/' })).body),
      ['/actors/new'],
      'a coordinator is shown only what a coordinator may do, and the colleagues are there now',
    );
    const created = await coordinator.inject({
      method: 'POST',
      url: '/api/v1/actors',
      payload: actorInput({ homeMunicipalityCode: 575 }),
    });
    t.equal(created.statusCode, 201);
    t.same(firstSteps((await admin.inject({ method: 'GET', url: '/' })).body), ['/grant-rounds#h-new-round']);

    const round = await admin.inject({
      method: 'POST',
      url: '/api/v1/grant-rounds',
      payload: { year: 2027, name: '§ 18-puljen 2027', budgetOre: 100_000_000 },
    });
    t.equal(round.statusCode, 201);
    const done = await admin.inject({ method: 'GET', url: '/' });
    t.notMatch(done.body, /h-first-steps/, 'no guidance once every step is taken');

    const viewer = await h.as('viewer', 851);
    t.notMatch(
      (await viewer.inject({ method: 'GET', url: '/' })).body,
      /h-first-steps/,
      'a viewer has no steps to take',
    );
  },
);
