import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import t from 'tap';
import { buildTestApp } from '../../helper.ts';

/** Pages go out compressed (brotli or gzip) when the client asks, plain when not; XLSX never. */
t.test('a page is compressed when asked, and plain otherwise', async (t) => {
  const h = await buildTestApp(t);
  const finance = await h.as('finance', 101);
  const url = '/reports/proportionality?area=municipality:101&year=2026';
  const plain = await finance.inject({ method: 'GET', url });
  t.equal(plain.statusCode, 200);
  t.notOk(plain.headers['content-encoding'], 'not asked: plain');
  t.match(plain.body, /<h1>Proportionalitet<\/h1>/);

  const br = await finance.inject({ method: 'GET', url, headers: { 'accept-encoding': 'br, gzip' } });
  t.equal(br.headers['content-encoding'], 'br', 'brotli first');
  t.match(String(br.headers.vary), /accept-encoding/i);
  const unpacked = brotliDecompressSync(br.rawPayload).toString();
  t.match(unpacked, /<h1>Proportionalitet<\/h1>/);
  t.ok(
    br.rawPayload.length * 3 < unpacked.length,
    `at most a third of the size (${br.rawPayload.length} of ${unpacked.length} bytes)`,
  );

  const gzip = await finance.inject({ method: 'GET', url, headers: { 'accept-encoding': 'gzip' } });
  t.equal(gzip.headers['content-encoding'], 'gzip');
  t.match(gunzipSync(gzip.rawPayload).toString(), /<h1>Proportionalitet<\/h1>/);

  const xlsx = await finance.inject({
    method: 'GET',
    url: '/reports/proportionality/export.xlsx?area=municipality:101&year=2026',
    headers: { 'accept-encoding': 'br, gzip' },
  });
  t.equal(xlsx.statusCode, 200);
  t.notOk(xlsx.headers['content-encoding'], 'an XLSX (a zip already) is sent as it is');
  t.equal(xlsx.rawPayload.subarray(0, 2).toString(), 'PK');

  const small = await finance.inject({
    method: 'GET',
    url: '/api/v1/outreach',
    headers: { 'accept-encoding': 'br, gzip' },
  });
  t.equal(small.statusCode, 200);
  t.ok(small.rawPayload.length < 1024, 'an empty list is small');
  t.notOk(small.headers['content-encoding'], 'and under a kilobyte is sent plain');
});
