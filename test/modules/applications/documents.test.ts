import { existsSync } from 'node:fs';
import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import t from 'tap';
import { buildTestApp, type TestApp } from '../../helper.ts';
import { multipart } from '../imports/upload.ts';
import { docx, jpeg, odt, pdf, png, xlsx } from './files.ts';
import { associationForm, ffbGroup, roundOf, tokenFrom, type Visitor, visitor } from './fixture.ts';

/**
 * Issue 21, documents: added through the application's link, typed by content, at most 10 MB a file
 * and 30 MB an application, refused with nothing written; served only through the link, as a
 * download that no browser renders. And the abuse guards: the rate limit under a burst.
 */
const MB = 1024 * 1024;

/**
 * One app for the tests with the default settings. Each has its own round and applicant, and
 * compares what is stored with what was stored before its own uploads.
 */
const shared = await buildTestApp(t);

async function applied(h: TestApp, email = 'kirsten@forening.dk') {
  const roundId = await roundOf(h, `Pulje ${email}`);
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page);
  const res = await v.post(page, associationForm(groupId, { contactEmail: email }));
  if (res.statusCode !== 303) throw new Error(`not applied: ${res.statusCode}`);
  return { v, token: tokenFrom(res.headers.location), groupId, page };
}

function upload(app: FastifyInstance, v: Visitor, token: string, file: Buffer, name: string, kind = 'statutes') {
  return app.inject({
    method: 'POST',
    url: `/public/applications/${token}/documents`,
    ...multipart({ _csrf: v.csrf, kind }, file, name),
    headers: { ...multipart({}, Buffer.alloc(0)).headers, cookie: v.cookie },
  });
}

type Stored = { docs: number; chunks: number; bytes: number };

const stored = async (h: TestApp) =>
  (
    await h.database.rows<Stored>(
      sql`select (select count(*)::int from application_documents) as docs,
        (select count(*)::int from application_document_chunks) as chunks,
        (select coalesce(sum(length(data)), 0)::int from application_document_chunks) as bytes`,
    )
  )[0] as Stored;

t.test('documents: by content, within the limits, served only through the link as a download', async (t) => {
  const h = shared;
  const { v, token } = await applied(h);
  const before = await stored(h);
  const content = pdf(600 * 1024);
  const added = await upload(h.app, v, token, content, 'vedtægter 2026.pdf');
  t.equal(added.statusCode, 303, added.body.slice(0, 200));
  t.equal(added.headers.location, `/public/applications/${token}#documents`);
  t.same(
    await stored(h),
    { docs: before.docs + 1, chunks: before.chunks + 3, bytes: before.bytes + content.length },
    'in pieces of 256 KB',
  );

  for (const [file, name] of [
    [docx(), 'budget.docx'],
    [xlsx(), 'budget.xlsx'],
    [odt(), 'regnskab.odt'],
    [png(), 'billede.png'],
    [jpeg(), 'billede.jpg'],
  ] as const) {
    t.equal((await upload(h.app, v, token, file, name, 'other')).statusCode, 303, `${name} is taken`);
  }

  const page = await v.get(`/public/applications/${token}`);
  const href = /href="(\/public\/applications\/[\w-]+\/documents\/\d+)"/.exec(page.body)?.[1] as string;
  t.ok(href, 'the page links the document');
  const res = await h.app.inject({ method: 'GET', url: href });
  t.equal(res.statusCode, 200);
  t.equal(res.headers['content-type'], 'application/pdf');
  t.match(
    String(res.headers['content-disposition']),
    /^attachment; filename="vedt_gter 2026\.pdf"; filename\*=UTF-8''vedt%C3%A6gter%202026\.pdf$/,
  );
  t.equal(res.headers['x-content-type-options'], 'nosniff');
  t.equal(res.headers['content-security-policy'], 'sandbox');
  t.notOk(res.headers['content-encoding'], 'sent as stored');
  t.ok(res.rawPayload.equals(content), 'the content as uploaded');

  const other = await applied(h, 'anden@forening.dk');
  const documentId = href.split('/').pop();
  t.equal(
    (await h.app.inject({ method: 'GET', url: `/public/applications/${other.token}/documents/${documentId}` }))
      .statusCode,
    404,
    "another application's link does not reach the document",
  );
  t.equal(
    (
      await h.app.inject({
        method: 'GET',
        url: `/public/applications/${token.slice(0, -3)}xyz/documents/${documentId}`,
      })
    ).statusCode,
    404,
  );
  const staff = await h.as('finance', 101);
  t.equal(
    (await staff.inject({ method: 'GET', url: `/public/applications/${other.token}/documents/${documentId}` }))
      .statusCode,
    404,
  );
});

t.test('refused with a clear message and nothing written: a type, a size, the total, no CSRF', async (t) => {
  const h = shared;
  const { v, token } = await applied(h, 'graenser@forening.dk');
  const before = await stored(h);

  const html = await upload(h.app, v, token, Buffer.from('<html><script>alert(1)</script></html>'), 'rapport.pdf');
  t.equal(html.statusCode, 415, 'HTML named .pdf is refused');
  t.match(html.body, /Filtypen kan ikke bruges/);
  const big = await upload(h.app, v, token, pdf(10 * MB + 1), 'stor.pdf');
  t.equal(big.statusCode, 413, 'more than 10 MB is refused');
  t.match(big.body, /Filen er for stor\. Den må højst fylde 10 MB\. Intet er gemt\./);
  const empty = await upload(h.app, v, token, Buffer.alloc(0), 'tom.pdf');
  t.equal(empty.statusCode, 400);
  const noCsrf = await h.app.inject({
    method: 'POST',
    url: `/public/applications/${token}/documents`,
    ...multipart({ kind: 'budget' }, pdf(), 'a.pdf'),
    headers: { ...multipart({}, Buffer.alloc(0)).headers, cookie: v.cookie },
  });
  t.equal(noCsrf.statusCode, 403, 'a form without its token');
  t.same(await stored(h), before, 'nothing written');

  for (let i = 0; i < 3; i++)
    t.equal(
      (await upload(h.app, v, token, pdf(10 * MB - 100), `del-${i}.pdf`)).statusCode,
      303,
      `file ${i + 1} of 10 MB`,
    );
  const full = await stored(h);
  const over = await upload(h.app, v, token, pdf(), 'en-til.pdf');
  t.equal(over.statusCode, 413, 'beyond 30 MB for the application');
  t.match(over.body, /højst fylde 30 MB i alt/);
  t.same(await stored(h), full, 'nothing more written');
});

t.test('the virus-scanner hook sees the content before the commit', async (t) => {
  // Its own app: a virus scanner.
  const h = await buildTestApp(t, { env: { DOCUMENT_SCAN_COMMAND: '! grep -q EICAR-TEST' } });
  const { v, token } = await applied(h);
  const clean = await upload(h.app, v, token, pdf(), 'ren.pdf');
  t.equal(clean.statusCode, 303);
  const infected = pdf(300 * 1024);
  infected.write('EICAR-TEST', 280 * 1024);
  const refused = await upload(h.app, v, token, infected, 'virus.pdf');
  t.equal(refused.statusCode, 422);
  t.match(refused.body, /afvist af virusscanningen/);
  t.same(await stored(h), { docs: 1, chunks: 1, bytes: 2_000 }, 'the refused document left nothing');
});

t.test('the scan holds no connection: it runs before the transaction that writes the document', async (t) => {
  // The scanner and the transactions write what happens to one file, in the order it happens.
  const events = join(await mkdtemp(join(tmpdir(), 'samspil-scan-')), 'events');
  t.teardown(() => rm(dirname(events), { recursive: true, force: true }));
  const h = await buildTestApp(t, {
    env: { DOCUMENT_SCAN_COMMAND: `cat > /dev/null; echo scan >> '${events}'` },
  });
  const { v, token } = await applied(h);
  const db = h.database.db as unknown as { transaction: (...a: unknown[]) => Promise<unknown> };
  const transaction = db.transaction;
  db.transaction = async (...a: unknown[]) => {
    await appendFile(events, 'begin\n');
    try {
      return await transaction.apply(db, a);
    } finally {
      await appendFile(events, 'end\n');
    }
  };
  t.teardown(() => {
    db.transaction = transaction;
  });
  t.equal((await upload(h.app, v, token, pdf(), 'ren.pdf')).statusCode, 303);
  t.same((await readFile(events, 'utf8')).split('\n').filter(Boolean), ['scan', 'begin', 'end']);
  t.same(await stored(h), { docs: 1, chunks: 1, bytes: 2_000 });
});

t.test('a round closed while its document is scanned takes the document no more', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'samspil-scan-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  // The scanner says it has begun, then waits for the test to let it answer (30 s at most).
  const h = await buildTestApp(t, {
    env: {
      DOCUMENT_SCAN_COMMAND: `cat > /dev/null; touch '${dir}/scanning'; for i in $(seq 600); do [ -e '${dir}/go' ] && exit 0; sleep 0.05; done`,
    },
  });
  const email = 'lukket-under-scanning@forening.dk';
  const { v, token } = await applied(h, email);
  const before = await stored(h);
  let answered = false;
  const answer = upload(h.app, v, token, pdf(), 'sent.pdf').finally(() => {
    answered = true;
  });
  while (!answered && !existsSync(join(dir, 'scanning'))) await new Promise((r) => setTimeout(r, 20));
  // Finance decides the round meanwhile: with the scan inside the transaction this waited for it.
  await h.database.rows(sql`update grant_rounds set status = 'decided' where name = ${`Pulje ${email}`}`);
  await writeFile(join(dir, 'go'), '');
  const res = await answer;
  t.equal(res.statusCode, 409, 'the round is asked again in the transaction that would store it');
  t.match(res.body, /Puljen tager ikke imod ansøgninger nu/);
  t.same(await stored(h), before, 'nothing written');
});

t.test('the rate limit holds under 30 parallel submissions, per IP and per e-mail address', async (t) => {
  // Its own app: other limits, and it counts every application and mail.
  const h = await buildTestApp(t, { env: { APPLICATION_LIMIT_PER_IP: '5', APPLICATION_LIMIT_PER_EMAIL: '3' } });
  const roundId = await roundOf(h, 'Travl pulje');
  const groupId = await ffbGroup(h, 'Hjemløshed');
  const page = `/public/rounds/${roundId}/apply`;
  const v = await visitor(h.app, page, '198.51.100.1');
  const burst = await Promise.all(
    Array.from({ length: 30 }, (_, i) => v.post(page, associationForm(groupId, { contactEmail: `a${i}@x.dk` }))),
  );
  const codes = burst.map((r) => r.statusCode);
  t.equal(codes.filter((c) => c === 303).length, 5, 'five from one address');
  t.equal(codes.filter((c) => c === 429).length, 25, 'the rest refused');
  t.match(burst.find((r) => r.statusCode === 429)?.body ?? '', /Vent lidt, og prøv igen/);

  const sameEmail = await Promise.all(
    Array.from({ length: 30 }, async (_, i) => {
      const w = await visitor(h.app, page, `192.0.2.${i + 1}`);
      return w.post(page, associationForm(groupId, { contactEmail: 'samme@x.dk', intent: 'draft' }));
    }),
  );
  t.equal(sameEmail.filter((r) => r.statusCode === 303).length, 3, 'three for one e-mail address');
  const counts = await h.database.rows<{ a: number; m: number }>(
    sql`select (select count(*)::int from applications) as a, (select count(*)::int from mail_outbox) as m`,
  );
  t.same(counts, [{ a: 8, m: 8 }], 'only those taken were saved and mailed');
});
