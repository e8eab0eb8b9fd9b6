import { sql } from 'drizzle-orm';
import t from 'tap';
import { actorInput } from '../../factories.ts';
import { buildTestApp } from '../../helper.ts';
import { associationForm, ffbGroup, roundOf, visitor } from './fixture.ts';

/**
 * The decision form's split over target groups is one group of fields: a fieldset with a legend,
 * described by its hint and, when the lines do not add up to the amount awarded, by that error,
 * which the error summary links to.
 */
t.test('the split lines are a fieldset the "must add up" error belongs to', async (t) => {
  const h = await buildTestApp(t);
  const roundId = await roundOf(h, 'Pulje med fordeling');
  const homeless = await ffbGroup(h, 'Hjemløshed');
  const drugs = await ffbGroup(h, 'Stofmisbrug');
  const form = `/public/rounds/${roundId}/apply`;
  const sent = await (await visitor(h.app, form)).post(
    form,
    associationForm(homeless, {
      'targetGroups[1][targetGroupId]': String(drugs),
      'targetGroups[1][expectedParticipants]': '10',
    }),
  );
  t.equal(sent.statusCode, 303);
  const actor = await h.inject({ method: 'POST', url: '/api/v1/actors?allowSimilar=true', payload: actorInput() });
  const [row] = await h.database.rows<{ id: number }>(
    sql`update applications set actor_id = ${actor.json().id as number} returning id`,
  );
  const id = Number(row?.id);
  const finance = await h.as('finance', 101);

  const page = await finance.inject({ method: 'GET', url: `/applications/${id}/decision` });
  const fieldset = /<fieldset[^>]*id="field-lines"[^>]*>([\s\S]*?)<\/fieldset>/.exec(page.body);
  t.ok(fieldset, 'the lines are a fieldset');
  t.match(fieldset?.[0], /aria-describedby="field-lines-hint"/, 'described by its hint');
  t.match(fieldset?.[1], /^\s*<legend class="form-label">Fordeling på målgrupper<\/legend>/, 'named by its legend');
  t.match(fieldset?.[1], /id="field-lines-0-amount"[\s\S]*id="field-lines-1-amount"/, 'holding every line');
  t.notMatch(page.body, /<p class="form-label">/, 'no paragraph posing as a label');

  const refused = await finance.postForm(`/applications/${id}/decision`, {
    version: '1',
    decision: 'approve',
    meeting: 'Socialudvalget',
    reasons: 'God ansøgning.',
    awarded: '20.000',
    'lines[0][targetGroupId]': String(homeless),
    'lines[0][amount]': '10.000',
    'lines[1][targetGroupId]': String(drugs),
    'lines[1][amount]': '5.000',
  });
  t.equal(refused.statusCode, 422, 'lines that do not add up are refused');
  const opening = /<fieldset[^>]*id="field-lines"[^>]*>/.exec(refused.body)?.[0] ?? '';
  t.match(opening, /aria-describedby="field-lines-hint field-lines-error"/, 'the fieldset is described by its error');
  t.match(opening, /form-error/);
  const error = /<span class="form-error-message" id="field-lines-error">([\s\S]*?)<\/span>\s*<\/?[a-z]/.exec(
    refused.body,
  );
  t.ok(error, 'the error has the id the fieldset names');
  t.match(refused.body, /<a href="#field-lines">Fordeling på målgrupper: /, 'the summary leads to the fieldset');
  t.match(refused.body, /id="field-lines-0-amount"[^>]*aria-invalid="true"/, 'the lines are marked invalid');
});
