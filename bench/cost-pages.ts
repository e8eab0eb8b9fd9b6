/**
 * The pages whose cost issue 17 sets targets for, on the national data set, and how autocannon asks
 * for each: shared by bench/page-costs.ts (each page in a process of its own) and bench/page-ratios.ts
 * (each page beside the floor).
 */
import type autocannon from 'autocannon';
import postgres from 'postgres';
import { benchIds } from './national.ts';

export interface Page {
  name: string;
  path: string;
  htmx?: string;
  write?: boolean;
  /** Across every municipality: a tenth of a second or more each; measured only when named. */
  national?: boolean;
}

/** The pages, and the agreements the meeting write logs its meetings across. */
export async function costPages(url: string): Promise<{ pages: Page[]; agreementIds: number[] }> {
  const client = postgres(url, { max: 1 });
  const ids = await benchIds((text) => client.unsafe(text));
  // As the bench does: meetings logged across the municipality's first 300 active agreements.
  const agreementIds = (
    await client`select id from agreements where municipality_code = 101 and status = 'active' order by id limit 300`
  ).map((r) => Number(r.id));
  await client.end();
  return {
    agreementIds,
    pages: [
      { name: 'floor', path: '/target-groups' },
      { name: 'home', path: '/' },
      { name: 'actors', path: '/actors?q=Foreningen&municipalityCode=101' },
      { name: 'actor', path: `/actors/${ids.actor}` },
      { name: 'grants', path: '/grants?year=2026&municipalityCode=101&status=approved' },
      { name: 'round', path: `/grant-rounds/${ids.round}` },
      { name: 'prop-one', path: '/reports/proportionality?area=municipality:101&year=2026' },
      { name: 'prop-all', path: '/reports/proportionality?area=national&year=2026' },
      { name: 'shared', path: '/reports/shared-actors?regionCode=1084&year=2026' },
      { name: 'search', path: '/actors?q=Havnen', htmx: 'actor-results' },
      { name: 'meeting', path: `/agreements/${ids.agreement}/meetings`, write: true },
      // The audit trail of the bench user's municipality, which grows with every meeting the bench logs.
      { name: 'audit', path: '/audit', national: true },
      // The grant list as the menu opens it (every municipality's grants, every year), by year and by
      // target group, and free text over every grant in the country: a case's words, and a word that
      // many actors' names hold.
      { name: 'grants-all', path: '/grants', national: true },
      { name: 'grants-year', path: '/grants?year=2026', national: true },
      { name: 'grants-group', path: '/grants?targetGroupId=1', national: true },
      { name: 'grant-search', path: `/grants?q=${encodeURIComponent('lektiehjælp 46552')}`, national: true },
      { name: 'grant-search-broad', path: '/grants?q=havnen', national: true },
    ],
  };
}

/** How autocannon asks for the page at `base` as the signed-in bench user, over `connections`. */
export function pageLoad(
  page: Page,
  base: string,
  s: { cookie: string; csrf: string },
  connections: number,
  agreementIds: number[],
): autocannon.Options {
  const headers: Record<string, string> = { cookie: s.cookie };
  if (page.htmx) Object.assign(headers, { 'hx-request': 'true', 'hx-target': page.htmx });
  if (!page.write) return { url: base + page.path, headers, connections };
  let next = 0;
  return {
    requests: [
      {
        setupRequest: (req) => ({ ...req, path: `/agreements/${agreementIds[next++ % agreementIds.length]}/meetings` }),
      },
    ],
    url: base + page.path,
    connections,
    method: 'POST',
    headers: {
      ...headers,
      'content-type': 'application/x-www-form-urlencoded',
      'x-csrf-token': s.csrf,
      'hx-request': 'true',
    },
    body: new URLSearchParams({ heldOn: '2026-11-01', notes: 'Benchmark-møde', _csrf: s.csrf }).toString(),
  };
}
