import { sql } from 'drizzle-orm';
import t from 'tap';
import { buildTestApp, type Client } from '../../helper.ts';
import { multipart } from '../imports/upload.ts';
import { pdf } from './files.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, visitor } from './fixture.ts';

/**
 * Issue 21, the staff side's security and API: an application, its documents and its API are there
 * for the users of the round's municipality only (another municipality's users and API keys get 404,
 * the public no content); documents are downloads no browser renders, streamed as stored.
 */

// One app for the file: each test applies to a round of its own and reads only that round's
// application (well within the limits per address: APPLICATION_LIMIT_PER_IP and _PER_EMAIL).
const h = await buildTestApp(t);
let rounds = 0;

async function fixture() {
  rounds += 1;
  const roundId = await roundOf(h, `Sikkerhedspuljen ${rounds}`);
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page);
  const res = await v.post(page, associationForm(groupId));
  if (res.statusCode !== 303) throw new Error(`not applied: ${res.statusCode}`);
  const token = tokenFrom(res.headers.location);
  const content = pdf(600 * 1024);
  const added = await h.app.inject({
    method: 'POST',
    url: `/public/applications/${token}/documents`,
    ...multipart({ _csrf: v.csrf, kind: 'budget' }, content, 'budget 2027 æøå.pdf'),
    headers: { ...multipart({}, Buffer.alloc(0)).headers, cookie: v.cookie },
  });
  if (added.statusCode !== 303) throw new Error(`no document: ${added.statusCode}`);
  const [row] = await h.database.rows<{ id: number; document_id: number }>(
    sql`select a.id, d.id as document_id from applications a join application_documents d on d.application_id = a.id
        where a.round_id = ${roundId}`,
  );
  return { roundId, content, id: row?.id as number, documentId: row?.document_id as number };
}

t.test('documents: the three headers, the content as stored, for the round’s municipality only', async (t) => {
  const { id, documentId, content } = await fixture();
  const viewer = await h.as('viewer', 101);
  for (const url of [
    `/applications/${id}/documents/${documentId}`,
    `/api/v1/applications/${id}/documents/${documentId}`,
  ]) {
    const res = await viewer.inject({ method: 'GET', url });
    t.equal(res.statusCode, 200, url);
    t.equal(res.headers['content-type'], 'application/pdf');
    t.match(res.headers['content-disposition'], /^attachment; filename="budget 2027 ae_o_a_.pdf"|^attachment; /);
    t.match(res.headers['content-disposition'], /filename\*=UTF-8''budget%202027%20%C3%A6%C3%B8%C3%A5\.pdf/);
    t.equal(res.headers['x-content-type-options'], 'nosniff');
    t.equal(res.headers['content-security-policy'], 'sandbox');
    t.ok(res.rawPayload.equals(content), 'the file as it was sent');
  }
  const page = await viewer.inject({ method: 'GET', url: `/applications/${id}` });
  t.match(page.body, new RegExp(`href="/applications/${id}/documents/${documentId}" download>budget 2027 æøå\\.pdf`));
  t.match(page.body, /Budget/);
  t.equal(
    (await viewer.inject({ method: 'GET', url: `/applications/${id}/documents/${documentId + 1}` })).statusCode,
    404,
    'a document of no application',
  );
});

t.test('another municipality and the public: nothing, on every page, document and API', async (t) => {
  const { roundId, id, documentId } = await fixture();
  const pages = [
    `/grant-rounds/${roundId}/applications`,
    `/grant-rounds/${roundId}/applications?tab=decided`,
    `/applications/${id}`,
    `/applications/${id}/documents/${documentId}`,
  ];
  const api = [
    `/api/v1/applications/${id}`,
    `/api/v1/applications/${id}/documents/${documentId}`,
    `/api/v1/applications?roundId=${roundId}`,
  ];
  const foreign: Client[] = [await h.as('admin', 751), await h.as('coordinator', 751), await h.as('viewer', 751)];
  for (const c of foreign) {
    for (const url of [...pages, ...api]) {
      const res = await c.inject({ method: 'GET', url });
      t.equal(res.statusCode, 404, `${c.user.role} of 751: ${url}`);
      t.notMatch(res.body, /Foreningen Fællesskab|%PDF/, 'and nothing of it');
    }
    const list = await c.inject({ method: 'GET', url: '/api/v1/applications' });
    t.same(list.json(), { items: [], total: 0 }, 'their own list holds none of it');
    for (const [url, form] of [
      [`/applications/${id}/start-review`, { version: '1' }],
      [`/applications/${id}/actor`, { version: '1', actorId: '1' }],
      [`/applications/${id}/new-actor`, { version: '1', roles: 'advocate', allowSimilar: 'on' }],
    ] as const) {
      t.equal((await c.postForm(url, form)).statusCode, 404, `${c.user.role} of 751 posts ${url}`);
    }
  }
  const [row] = await h.database.rows<{ status: string; actor_id: number | null; version: number }>(
    sql`select status, actor_id, version from applications where id = ${id}`,
  );
  t.same(row, { status: 'submitted', actor_id: null, version: 1 }, 'nothing changed');
  t.equal((await h.database.rows(sql`select 1 from actors`)).length, 0, 'no actor was made');

  for (const url of pages) {
    const res = await h.anonymous({ method: 'GET', url });
    t.equal(res.statusCode, 303, `the public is sent to sign in: ${url}`);
    t.match(res.headers.location, /^\/login/);
  }
  for (const url of api) {
    const res = await h.anonymous({ method: 'GET', url });
    t.equal(res.statusCode, 401, `the public has no key: ${url}`);
    t.notMatch(res.body, /Foreningen Fællesskab|%PDF/);
  }
});

t.test('the API: the municipality’s applications, paged, and one with its documents as links', async (t) => {
  const { roundId, id, documentId } = await fixture();
  const finance = await h.as('finance', 101);
  const list = await finance.inject({ method: 'GET', url: `/api/v1/applications?roundId=${roundId}&status=submitted` });
  t.equal(list.statusCode, 200);
  t.match(list.json(), {
    total: 1,
    items: [
      {
        id,
        roundId,
        status: 'submitted',
        applicantKind: 'organisation',
        organisationName: 'Foreningen Fællesskab',
        cvr: '12345674',
        appliedOre: 2_400_050,
        actorId: null,
      },
    ],
  });
  t.same(
    (await finance.inject({ method: 'GET', url: `/api/v1/applications?roundId=${roundId}&status=approved` })).json(),
    { items: [], total: 0 },
  );
  t.same(
    (await finance.inject({ method: 'GET', url: `/api/v1/applications?roundId=${roundId}&limit=1&offset=1` })).json(),
    { items: [], total: 1 },
    'a page beyond the last still counts',
  );
  t.equal((await finance.inject({ method: 'GET', url: '/api/v1/applications?status=draft' })).statusCode, 400);
  t.equal((await finance.inject({ method: 'GET', url: '/api/v1/applications?roundId=999999' })).statusCode, 404);

  const one = await finance.inject({ method: 'GET', url: `/api/v1/applications/${id}` });
  t.equal(one.statusCode, 200);
  t.match(one.json(), {
    id,
    projectTitle: 'Fællesspisning for hjemløse',
    budgetLines: [
      { text: 'Råvarer', amountOre: 2_000_000 },
      { text: 'Leje af køkken', amountOre: 500_050 },
    ],
    municipalityCodes: [101, 147],
    periodFrom: '2027-03-01',
    bankAccount: { regNo: '1234', accountNo: '0012345678' },
    targetGroups: [{ expectedParticipants: 25 }],
    documents: [
      {
        id: documentId,
        kind: 'budget',
        mediaType: 'application/pdf',
        href: `/api/v1/applications/${id}/documents/${documentId}`,
      },
    ],
  });
});

t.test('the API: an erased application gives no contact address, not the placeholder', async (t) => {
  const { id } = await fixture();
  const finance = await h.as('finance', 101);
  const before = (await finance.inject({ method: 'GET', url: `/api/v1/applications/${id}` })).json();
  t.match(before, { contactEmail: /@/, erasedAt: null }, 'the address while it is kept');
  await h.database.rows(
    sql`update applications set status = 'rejected', decided_at = '2027-03-01T10:00:00Z', decided_by = ${finance.user.id}
        where id = ${id}`,
  );
  t.equal(await h.app.services.applicationRetention.eraseDue(new Date('2028-03-01T10:00:00Z')), 1);
  const res = await finance.inject({ method: 'GET', url: `/api/v1/applications/${id}` });
  t.equal(res.statusCode, 200);
  t.match(res.json(), {
    id,
    contactEmail: null,
    contactName: null,
    contactPhone: null,
    bankAccount: null,
    decisionReasons: null,
    erasedAt: '2028-03-01T10:00:00.000Z',
    organisationName: 'Foreningen Fællesskab',
  });
  t.notMatch(res.body, /slettet/, 'no placeholder stands for an address');
});
