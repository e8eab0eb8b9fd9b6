import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';

const t = Date.now();
const db = await PGlite.create({ extensions: { pg_trgm } });
console.log('init', Date.now() - t);
await db.exec('create extension if not exists pg_trgm');
console.log(
  (
    await db.query(
      "select to_tsvector('danish','Kirkens Korshærs natcaféer') v, similarity('kirkens korshaer','kirkens korshaer') s, version()",
    )
  ).rows,
);
const t2 = Date.now();
const blob = await db.dumpDataDir('none');
console.log('dump', Date.now() - t2, blob.size);
const t3 = Date.now();
const db2 = await PGlite.create({ loadDataDir: blob, extensions: { pg_trgm } });
console.log('load', Date.now() - t3);
console.log((await db2.query('select 1')).rows);
