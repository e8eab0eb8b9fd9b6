import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import t from 'tap';

/**
 * SQL lives in repositories (issue 17, "one place for each rule"): outside `*.repository.ts` and
 * `src/db/`, no file writes SQL with drizzle's `sql` tag, builds a query, or runs one. A service
 * calls a repository function and passes it the database or its transaction.
 */

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const src = join(root, 'src');

/** Files that may still hold SQL for now, each for a reason (none today). */
const ALLOWED = new Set<string>([]);

const posix = (path: string) => path.split(sep).join('/');

/** Where SQL belongs. */
const holdsSqlByDesign = (path: string) => path.startsWith('src/db/') || path.endsWith('.repository.ts');

/** The text without its comments, so a comment that names a query is no query. */
function withoutComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** A value (not type-only) import from drizzle-orm, or of the schema's tables. */
function valueImports(text: string): string[] {
  const found: string[] = [];
  for (const m of text.matchAll(/\bimport\s+(type\s+)?([^;]*?)\s*from\s*['"]([^'"]+)['"]/g)) {
    const [, typeOnly, clause = '', from = ''] = m;
    const fromDrizzle = /^drizzle-orm(\/|$)/.test(from);
    const fromSchema = /(^|\/)db\/schema(\/|$|\.ts$|\/index\.ts$)/.test(from);
    if (typeOnly || !(fromDrizzle || fromSchema)) continue;
    const names = clause
      .replace(/[{}]/g, ',')
      .split(',')
      .map((n) => n.trim())
      .filter((n) => n && !n.startsWith('type '));
    if (names.length) found.push(`imports ${names.join(', ')} from '${from}'`);
  }
  return found;
}

/** What makes a file hold SQL: each pattern with what it means. */
const SQL_PATTERNS: [RegExp, string][] = [
  [/\bsql(?:\s*<[^>]*>)?\s*`/, "drizzle's sql tag"],
  [/\bsql\s*\.\s*(?:raw|join|identifier|empty|placeholder)\s*\(/, "drizzle's sql helpers"],
  [
    /\b(?:db|tx|trx|database\.db)\s*\.\s*(?:select|selectDistinct|selectDistinctOn|insert|update|delete|execute|query|\$count|\$with)\b/,
    'a query on a database handle',
  ],
  [/\.execute\s*\(/, 'a statement run with execute()'],
  [/\.rows\s*(?:<[^>]*>)?\s*\(/, 'a statement run with database.rows()'],
  [/\.unsafe\s*\(/, "postgres.js's unsafe()"],
  [/\)\s*\.\s*from\s*\(/, 'a select … from(table)'],
  [/\.insert\s*\([^()]*\)\s*\.\s*values\s*\(/, 'an insert … values()'],
  [/\.update\s*\([^()]*\)\s*\.\s*set\s*\(/, 'an update … set()'],
  [/\.delete\s*\([^()]*\)\s*\.\s*(?:where|returning)\s*\(/, 'a delete … where()'],
];

/** Why a source text holds SQL; empty when it holds none. */
function sqlIn(source: string): string[] {
  const text = withoutComments(source);
  return [...valueImports(text), ...SQL_PATTERNS.filter(([re]) => re.test(text)).map(([, what]) => what)];
}

function sourceFiles(): string[] {
  return readdirSync(src, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.ts'))
    .map((f) => posix(relative(root, join(src, f))))
    .sort();
}

t.test('the scan finds SQL in each form, and not in code that only looks alike', async (t) => {
  const holds = [
    "import { sql } from 'drizzle-orm';",
    "import { and, type SQL } from 'drizzle-orm';",
    "import { actors } from '../../db/schema/index.ts';",
    'const x = sql`select 1`;',
    'const y = sql<number>`count(*)`;',
    'const z = sql.join(parts, sep);',
    'await db.select({ id: actors.id }).from(actors);',
    'await tx\n  .insert(actors)\n  .values(row);',
    'await database.db.update(actors).set({ name });',
    'await tx.delete(actors).where(eq(actors.id, id));',
    'const rows = await database.rows<{ n: number }>(query);',
    'await on.execute(query);',
    'await client.unsafe(text);',
    'const [row] = await handle.select().from(actors);',
    'await handle.insert(actors).values(row);',
    'await handle.update(actors).set(values);',
    'await handle.delete(actors).where(condition);',
  ];
  for (const text of holds) t.not(sqlIn(text).length, 0, text);
  const clean = [
    "import type { SQL } from 'drizzle-orm';",
    "import { type SQL } from 'drizzle-orm';",
    "import type { actors } from '../../db/schema/index.ts';",
    "import { z } from 'zod';",
    'const b = Buffer.from(text); const a = Array.from(set);',
    "const h = createHash('sha256').update(s).digest('hex');",
    'cache.delete(key); seen.delete(key);',
    '/** Like db.select(...).from(actors), but cached. */',
    '// await tx.execute(sql`select 1`);',
    'const { rows, total } = await searchAuditTrail(db, code, filters);',
    'await db.transaction(async (tx) => moveGrantsToSurvivor(tx, id, ids));',
  ];
  for (const text of clean) t.same(sqlIn(text), [], text);
});

t.test('no SQL outside *.repository.ts and src/db/', async (t) => {
  const offenders = sourceFiles()
    .filter((f) => !holdsSqlByDesign(f) && !ALLOWED.has(f))
    .map((f) => ({ file: f, sql: sqlIn(readFileSync(join(root, f), 'utf8')) }))
    .filter((o) => o.sql.length);
  t.same(offenders, [], 'move these statements into the module’s repository (or src/db/)');
});
