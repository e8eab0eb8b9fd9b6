import { type SQL, sql } from 'drizzle-orm';
import type { Database } from '../src/db/client.ts';

/** A statement as the app sent it: its text (with $1, $2 …) and its parameters. */
export type Sent = [text: string, params: unknown[]];

/**
 * Records every statement sent outside a transaction from now on: all of them reach the driver's
 * client of drizzle's session, its `query` (PGlite) or its `unsafe` (postgres.js), built anew or
 * built once (db/prepared.ts). stop() puts the client back.
 */
export function recordStatements(database: Database): { sent: Sent[]; stop(): void } {
  const client = (database.db as unknown as { session: { client: Record<string, unknown> } }).session.client;
  const method = typeof client.unsafe === 'function' ? 'unsafe' : 'query';
  const send = client[method] as (query: string, params?: unknown[], ...rest: unknown[]) => unknown;
  const sent: Sent[] = [];
  client[method] = function (this: unknown, query: string, params?: unknown[], ...rest: unknown[]) {
    sent.push([query, params ?? []]);
    return send.call(this, query, params, ...rest);
  };
  return {
    sent,
    stop() {
      client[method] = send;
    },
  };
}

const literal = (v: unknown) => (typeof v === 'number' ? String(v) : `'${String(v).replaceAll("'", "''")}'`);

/**
 * The plan of a statement sent, as the app runs it (prepared, executed with its parameters), under
 * the settings given for this transaction alone; `options` are EXPLAIN's. The rows of EXPLAIN.
 */
export async function explainSent(
  database: Database,
  [text, params]: Sent,
  settings: SQL[],
  options: string,
): Promise<unknown[]> {
  return database.db.transaction(async (tx) => {
    for (const setting of settings) await tx.execute(setting);
    await tx.execute(sql.raw(`prepare explained_statement as ${text}`));
    try {
      const rows = await database.rows<{ 'QUERY PLAN': unknown }>(
        sql.raw(`explain (${options}) execute explained_statement(${params.map(literal).join(', ')})`),
        tx,
      );
      return rows.map((r) => r['QUERY PLAN']);
    } finally {
      await tx.execute(sql`deallocate explained_statement`);
    }
  });
}
