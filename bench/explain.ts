/**
 * Prints EXPLAIN ANALYZE of the proportionality report's SQL for a scope, on DATABASE_URL:
 *   DATABASE_URL=postgres://… node bench/explain.ts national|municipality:101|region:1084 [year]
 */
import { PgDialect } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { proportionalityQuery, type Scope } from '../src/modules/reports/reports.repository.ts';

const [area = 'national', yearArg = '2026'] = process.argv.slice(2);
const scope: Scope = area.startsWith('municipality:')
  ? { kind: 'municipality', code: Number(area.slice(13)) }
  : area.startsWith('region:')
    ? { kind: 'region', code: Number(area.slice(7)) }
    : { kind: 'national' };
const year = Number(yearArg);
const query = new PgDialect().sqlToQuery(proportionalityQuery({ scope, yearFrom: year, yearTo: year, threshold: 0.5 }));
const url = process.env.DATABASE_URL;
if (!url) throw new Error('Set DATABASE_URL');
const sql = postgres(url, { max: 1, connection: { jit: 'off' } });
const plan = await sql.unsafe(`explain (analyze, costs off, timing on) ${query.sql}`, query.params as never[]);
console.log(plan.map((r) => r['QUERY PLAN']).join('\n'));
await sql.end();
