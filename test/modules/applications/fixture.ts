import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { addDays, danishDate } from '../../../src/lib/dates.ts';
import { formBody, type TestApp } from '../../helper.ts';

/** A round of København (101) taking applications today, or one whose window has passed. */
export async function roundOf(h: TestApp, name: string, open = true): Promise<number> {
  const finance = await h.as('finance', 101);
  const today = danishDate();
  const res = await finance.inject({
    method: 'POST',
    url: '/api/v1/grant-rounds',
    payload: {
      year: Number(today.slice(0, 4)),
      name,
      budgetOre: 100_000_000,
      applicationsOpenOn: open ? addDays(today, -5) : addDays(today, -30),
      applicationsCloseOn: open ? addDays(today, 20) : addDays(today, -1),
    },
  });
  if (res.statusCode !== 201) throw new Error(`no round: ${res.statusCode} ${res.body}`);
  const { id, version } = res.json() as { id: number; version: number };
  // Finance opens it: a round takes applications only when open and within its window.
  const opened = await finance.inject({
    method: 'PATCH',
    url: `/api/v1/grant-rounds/${id}`,
    payload: { status: 'open', version },
  });
  if (opened.statusCode !== 200) throw new Error(`round not opened: ${opened.statusCode} ${opened.body}`);
  return id;
}

/** The id of an FFB target group by its Danish name. */
export async function ffbGroup(h: TestApp, nameDa: string): Promise<number> {
  const items = (await h.inject({ method: 'GET', url: '/api/v1/target-groups' })).json().items as {
    id: number;
    nameDa: string;
    municipalityCode: number | null;
  }[];
  const found = items.find((g) => g.nameDa === nameDa && g.municipalityCode === null);
  if (!found) throw new Error(`no FFB group ${nameDa}`);
  return found.id;
}

export interface Visitor {
  csrf: string;
  cookie: string;
  post(
    url: string,
    form: Record<string, string | string[]>,
    headers?: Record<string, string>,
  ): Promise<LightMyRequestResponse>;
  get(url: string): Promise<LightMyRequestResponse>;
}

/** A browser without a session: the CSRF cookie and token from the round's form, then form posts. */
export async function visitor(app: FastifyInstance, page: string, ip = '203.0.113.7'): Promise<Visitor> {
  const res = await app.inject({ method: 'GET', url: page, remoteAddress: ip });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(res.body)?.[1] ?? '';
  const cookie = String(res.headers['set-cookie'] ?? '').split(';')[0] ?? '';
  if (!csrf || !cookie) throw new Error(`no form at ${page}: ${res.statusCode}`);
  return {
    csrf,
    cookie,
    post: (url, form, headers = {}) =>
      app.inject({
        method: 'POST',
        url,
        remoteAddress: ip,
        payload: formBody({ _csrf: csrf, ...form }),
        headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', ...headers },
      }),
    get: (url) => app.inject({ method: 'GET', url, remoteAddress: ip, headers: { cookie } }),
  };
}

/** A complete application from an association with a valid CVR number. */
export function associationForm(groupId: number, extra: Record<string, string | string[]> = {}) {
  return {
    applicantKind: 'organisation',
    organisationName: 'Foreningen Fællesskab',
    cvr: '12345674',
    contactName: 'Kirsten Kontakt',
    contactEmail: 'kirsten@forening.dk',
    contactPhone: '+45 12 34 56 78',
    projectTitle: 'Fællesspisning for hjemløse',
    purpose: 'Vi laver mad sammen hver torsdag.',
    'targetGroups[0][targetGroupId]': String(groupId),
    'targetGroups[0][expectedParticipants]': '25',
    municipalityCodes: ['101', '147'],
    periodFrom: '1.3.2027',
    periodTo: '31.12.2027',
    'budgetLines[0][text]': 'Råvarer',
    'budgetLines[0][amount]': '20.000',
    'budgetLines[1][text]': 'Leje af køkken',
    'budgetLines[1][amount]': '5000,50',
    ownFinancing: '1000',
    otherFunding: '0',
    applied: '24.000,50',
    bankRegNo: '1234',
    bankAccountNo: '0012345678',
    consent: 'on',
    intent: 'submit',
    ...extra,
  };
}

/** The link's token from the address an application's form leads to. */
export function tokenFrom(location: unknown): string {
  const m = /^\/public\/applications\/([\w-]+)$/.exec(String(location));
  if (!m?.[1]) throw new Error(`not a link: ${String(location)}`);
  return m[1];
}
