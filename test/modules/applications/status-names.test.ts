import t from 'tap';
import { da } from '../../../src/i18n/da.ts';
import { buildTestApp } from '../../helper.ts';
import { associationForm, ffbGroup, roundOf, visitor } from './fixture.ts';

/**
 * One set of status names for staff: the same application has the same status, under the same
 * name, on its page, the decision page, the questions page and the review page (and in the
 * committee's list and the inbox's decided tab), from the one set `applications.status.*`.
 */

/** The text of the description after the term "Status" in the page's facts. */
function statusShown(body: string): string | undefined {
  const m = /<dt>Status<\/dt>\s*<dd>(?:<strong>)?([^<]*)/.exec(body);
  return m?.[1]?.trim();
}

t.test('an application has one status name on every staff page', async (t) => {
  const h = await buildTestApp(t);
  const roundId = await roundOf(h, 'Pulje med ét sprog for status');
  const homeless = await ffbGroup(h, 'Hjemløshed');
  const form = `/public/rounds/${roundId}/apply`;
  const sent = await (await visitor(h.app, form)).post(form, associationForm(homeless));
  t.equal(sent.statusCode, 303, 'the application is sent');
  const id = Number(
    (await h.inject({ method: 'GET', url: `/api/v1/applications?roundId=${roundId}` })).json().items[0].id,
  );
  const finance = await h.as('finance', 101);
  const pages = [
    `/applications/${id}`,
    `/applications/${id}/decision`,
    `/applications/${id}/questions`,
    `/applications/${id}/review`,
  ];

  const shownOn = async (status: string, urls = pages) => {
    const names = new Set<string | undefined>();
    for (const url of urls) {
      const res = await finance.inject({ method: 'GET', url });
      t.equal(res.statusCode, 200, `${url} answers`);
      names.add(statusShown(res.body));
      t.equal(statusShown(res.body), da[`applications.status.${status}` as keyof typeof da], `${status} on ${url}`);
    }
    t.same([...names], [da[`applications.status.${status}` as keyof typeof da]], `one name for ${status}`);
  };

  await shownOn('submitted');
  const committee = await finance.inject({ method: 'GET', url: `/grant-rounds/${roundId}/reviews` });
  t.match(committee.body, `· ${da['applications.status.submitted']}</span>`, 'the committee names it the same');

  const started = await finance.postForm(`/applications/${id}/start-review`, { version: '1' });
  t.equal(started.statusCode, 303, 'the review is started');
  await shownOn('under_review');

  const decided = await finance.inject({
    method: 'POST',
    url: `/api/v1/applications/${id}/decision`,
    payload: { decision: 'reject', meeting: 'Socialudvalget', reasons: 'Ikke i år.', version: 2 },
  });
  t.equal(decided.statusCode, 200, decided.body);
  await shownOn('rejected', pages.slice(0, 3));
  const inbox = await finance.inject({ method: 'GET', url: `/grant-rounds/${roundId}/applications?tab=decided` });
  t.match(inbox.body, `<td>${da['applications.status.rejected']}</td>`, 'the inbox names it the same');
});
