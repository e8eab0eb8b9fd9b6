import t from 'tap';
import { localPath } from '../../src/lib/forms.ts';
import { buildTestApp, formBody } from '../helper.ts';

/** Targets a page of ours never links to, which a header cannot carry: the front page instead. */
const refused = [
  '/actors\u2028x', // line separator
  '/actors\u2029x', // paragraph separator
  '/actors\u200bx', // zero-width space (a format character)
  '/actors\u202ex', // right-to-left override
  '/\u2028/evil.example',
];

/** Letters beyond ASCII are kept, percent-encoded as UTF-8, as a browser sends them. */
const encoded: [string, string][] = [
  ['/actors?q=Mændenes Hjem', '/actors?q=M%C3%A6ndenes%20Hjem'],
  ['/actors?q=a\u00a0b', '/actors?q=a%C2%A0b'],
  ['/grants?year=2026', '/grants?year=2026'],
  ['/actors?q=%C3%B8', '/actors?q=%C3%B8'],
];

/** A name for TAP: a raw U+2028 in an assertion's name would break the TAP stream. */
const show = (s: string) =>
  JSON.stringify(s).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

t.test('localPath: separators and invisible characters refused, other letters percent-encoded', async (t) => {
  for (const s of refused) t.equal(localPath(s), '/', show(s));
  for (const [s, want] of encoded) t.equal(localPath(s), want, show(s));
  t.equal(localPath('/x\ud800'), '/', 'a lone surrogate');
});

t.test('back= and next= with U+2028 or letters beyond ASCII: a redirect that stays here, never a 500', async (t) => {
  const h = await buildTestApp(t);
  const cases: [string, string][] = [...refused.map((s): [string, string] => [s, '/']), ...encoded];
  for (const [target, wanted] of cases) {
    const lang = await h.anonymous({ method: 'GET', url: `/language?to=en&back=${encodeURIComponent(target)}` });
    t.equal(lang.statusCode, 303, `/language?back=${show(target)}`);
    t.equal(lang.headers.location, wanted, `/language?back=${show(target)} goes to ${wanted}`);

    const page = await h.anonymous({ method: 'GET', url: `/login?next=${encodeURIComponent(target)}` });
    t.equal(page.statusCode, 200, `/login?next=${show(target)}`);
    const hidden = /name="next" value="([^"]*)"/.exec(page.body)?.[1];
    t.equal(hidden, wanted, 'the form carries the checked target');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    const cookie = page.cookies.map((c) => `${c.name}=${c.value}`).join('; ');
    const login = await h.anonymous({
      method: 'POST',
      url: '/login',
      payload: formBody({
        _csrf: csrf,
        email: h.user.email,
        password: 'en lang og hemmelig adgangskode',
        next: target,
      }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie },
    });
    t.equal(login.statusCode, 303, `login with next=${show(target)}`);
    t.equal(login.headers.location, wanted, `login with next=${show(target)} goes to ${wanted}`);
  }
});
