/**
 * What the benches share on the national data set: the bench's user (`npm run bench` creates it, an
 * admin in København) and the ids of the records whose pages they open.
 */

export const BENCH_USER = { email: 'bench@samspil.dk', password: 'en lang benchmark-adgangskode' } as const;

/** Signs the bench's user in through the login form of the app at `base`: its cookie and form token. */
export async function signInBenchUser(base: string): Promise<{ cookie: string; csrf: string }> {
  const pre = await fetch(`${base}/login`);
  const preCookie = (pre.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  const preCsrf = /name="_csrf" value="([^"]+)"/.exec(await pre.text())?.[1] ?? '';
  const login = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: preCookie },
    body: new URLSearchParams({ ...BENCH_USER, _csrf: preCsrf }).toString(),
  });
  const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
  if (login.status !== 303) throw new Error(`sign-in failed: ${login.status}`);
  const home = await (await fetch(`${base}/`, { headers: { cookie } })).text();
  return { cookie, csrf: /name="_csrf" value="([^"]+)"/.exec(home)?.[1] ?? '' };
}

/** In København (101): its first actor, its round of 2026, its first active agreement, its first grant of 2026. */
export interface BenchIds {
  actor: number;
  round: number;
  agreement: number;
  grant: number;
}

/** The ids, read with the caller's client (a bench has postgres.js or the app's database at hand). */
export async function benchIds(run: (text: string) => Promise<Record<string, unknown>[]>): Promise<BenchIds> {
  const [ids] = await run(`select
    (select min(id) from actors where home_municipality_code = 101) as actor,
    (select id from grant_rounds where municipality_code = 101 and year = 2026) as round,
    (select min(id) from agreements where municipality_code = 101 and status = 'active') as agreement,
    (select min(g.id) from grants g join grant_rounds r on r.id = g.round_id
      where r.municipality_code = 101 and r.year = 2026) as grant`);
  if (!ids?.actor) throw new Error('The national data set is not in this database');
  return {
    actor: Number(ids.actor),
    round: Number(ids.round),
    agreement: Number(ids.agreement),
    grant: Number(ids.grant),
  };
}
