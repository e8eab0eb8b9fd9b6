import { sha256 } from './secrets.ts';

/**
 * Errors as the logs may show them. A failed statement carries its values: drizzle puts them in
 * its message ("Failed query: … params: …") and in .params, postgres.js in .parameters, PGlite in
 * .params, and PostgreSQL quotes them in some messages (`invalid input syntax for type integer:
 * "…"`) and in its detail (`Key (email)=(…) already exists`). An upload's failed batch once put
 * 15,000 actor names on one log line. So an error is logged by a fixed set of fields: its type, its
 * SQLSTATE code, the names PostgreSQL gives (constraint, table, column), a fingerprint of the
 * statement (its start without literals, and a hash of its text), the message with quoted parts
 * masked, and the stack's frames. Parameters, details and anything else enumerable are left out.
 */

const MASK = '[skjult]';
/** A database message is one line; others (configuration problems, say) may be longer. */
const MAX_MESSAGE = 300;
const MAX_OTHER_MESSAGE = 2000;
const MAX_DEPTH = 4;

type ErrorLike = Record<string, unknown> & { message?: unknown; name?: unknown; stack?: unknown; cause?: unknown };

function isObject(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** A SQLSTATE: five digits or capital letters. */
function sqlState(err: ErrorLike): string | undefined {
  const code = text(err.code);
  return code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** The statement text an error carries: drizzle's .query, postgres.js's (non-enumerable) .query, PGlite's .query. */
function statementOf(err: ErrorLike): string | undefined {
  const query = (err as { query?: unknown }).query;
  if (typeof query === 'string') return query;
  // postgres.js keeps the text of a tagged query in .query.string in some versions.
  if (isObject(query)) return text((query as { string?: unknown }).string);
  return undefined;
}

/** A failed statement: the error itself, or what drizzle wraps. */
function isDatabaseError(err: ErrorLike): boolean {
  return Boolean(sqlState(err) || statementOf(err) || err.name === 'PostgresError' || err.name === 'DrizzleQueryError');
}

/**
 * The first 80 characters of a statement with its string literals and numbers masked, and a short
 * hash of the whole text to tell statements with the same start apart. The app passes values as
 * parameters ($1, $2), so the text names the statement without holding data.
 */
function statementFingerprint(query: string): string {
  const hash = sha256(query).slice(0, 8);
  const shape = query
    .replace(/'(?:[^']|'')*'/g, '?')
    .replace(/(?<![$\w])\d+(?:\.\d+)?\b/g, '?')
    .replace(/\s+/g, ' ')
    .trim();
  return `${shape.length > 80 ? `${shape.slice(0, 80)}…` : shape} #${hash}`;
}

/** The names PostgreSQL gives with an error (postgres.js and PGlite spell them differently). */
function identifiers(err: ErrorLike): Record<string, string> {
  const names: Record<string, string> = {};
  const pairs: [string, string[]][] = [
    ['schema', ['schema_name', 'schema']],
    ['table', ['table_name', 'table']],
    ['column', ['column_name', 'column']],
    ['constraint', ['constraint_name', 'constraint']],
    ['dataType', ['data_type_name', 'dataType']],
  ];
  for (const [key, fields] of pairs) {
    for (const field of fields) {
      const value = text(err[field]);
      if (value) {
        names[key] = value;
        break;
      }
    }
  }
  return names;
}

/** A database message with every double-quoted part masked unless it is a name the error gives. */
function maskDatabaseMessage(message: string, names: Record<string, string>): string {
  const known = new Set(Object.values(names));
  return message.replace(/"((?:[^"]|"")*)"/g, (whole, inner: string) => (known.has(inner) ? whole : `"${MASK}"`));
}

function cap(message: string, limit = MAX_MESSAGE): string {
  return message.length > limit ? `${message.slice(0, limit)}…` : message;
}

/** The innermost error of a chain that carries a SQLSTATE (drizzle wraps the driver's error). */
function databaseCause(err: ErrorLike): ErrorLike | undefined {
  let current: unknown = err;
  for (let depth = 0; depth <= MAX_DEPTH && isObject(current); depth++) {
    if (sqlState(current)) return current;
    current = current.cause;
  }
  return undefined;
}

/** The message of an error as the logs may show it. */
export function messageForLog(error: unknown): string {
  if (!isObject(error)) return cap(String(error), MAX_OTHER_MESSAGE);
  const message = text(error.message) ?? '';
  if (!isDatabaseError(error)) return cap(message, MAX_OTHER_MESSAGE);
  const cause = databaseCause(error) ?? error;
  const own = text(cause.message) ?? '';
  // drizzle's own message is the statement and its values: say only that a statement failed.
  const base = cause === error && error.name === 'DrizzleQueryError' ? 'Failed query' : own;
  return cap(maskDatabaseMessage(base.split('\n')[0] ?? '', identifiers(cause)));
}

/** The stack's frames, without the first line (the message, with the values in it). */
function framesOf(err: ErrorLike): string | undefined {
  const stack = text(err.stack);
  if (!stack) return undefined;
  const message = text(err.message) ?? '';
  let rest = stack;
  for (const header of [`${String(err.name ?? 'Error')}: ${message}`, message]) {
    if (header && rest.startsWith(header)) {
      rest = rest.slice(header.length);
      break;
    }
  }
  const frames = rest.split('\n').filter((line) => /^\s+at \S/.test(line) && !line.includes('\u0000'));
  return frames.length ? frames.slice(0, 15).join('\n') : undefined;
}

/** The pino serializer for `err`: a fixed set of fields, values never included. */
export function errorForLog(error: unknown, depth = 0): Record<string, unknown> {
  if (!isObject(error)) return { type: typeof error, message: messageForLog(error) };
  const out: Record<string, unknown> = {
    type: text(error.name) ?? text((error.constructor as { name?: unknown } | undefined)?.name) ?? 'Error',
    message: messageForLog(error),
  };
  const code = text(error.code);
  if (code) out.code = code.slice(0, 64);
  if (typeof error.statusCode === 'number') out.statusCode = error.statusCode;
  if (isDatabaseError(error)) {
    const cause = databaseCause(error);
    if (cause) {
      out.code = sqlState(cause);
      const severity = text(cause.severity);
      if (severity) out.severity = severity;
      Object.assign(out, identifiers(cause));
    }
    const statement = statementOf(error) ?? (cause && statementOf(cause));
    if (statement) out.statement = statementFingerprint(statement);
  }
  const frames = framesOf(error);
  if (frames) out.stack = frames;
  if (error.cause !== undefined && depth < MAX_DEPTH) out.cause = errorForLog(error.cause, depth + 1);
  return out;
}

/**
 * A pino logMethod hook: where a line's message would be an error's own message (pino takes it
 * when none is given, and Fastify's default error handler passes it), the safe one is used.
 */
export function logMethodHook(
  this: unknown,
  args: unknown[],
  method: (this: unknown, ...args: unknown[]) => void,
): void {
  const [first, second, ...rest] = args;
  const error = first instanceof Error ? first : isObject(first) && isObject(first.err) ? first.err : undefined;
  if (error && (second === undefined || second === error.message)) {
    method.apply(this, [first, messageForLog(error), ...rest]);
    return;
  }
  method.apply(this, args);
}

/**
 * A request's path as logs and the audit trail may show it: without its query string (it may hold
 * search words), and with the secrets that some paths carry (a calendar feed's, an application's
 * link) masked.
 */
export function maskUrl(url: string): string {
  return (
    url
      .split('?')[0]
      ?.replace(/^\/calendar\/[^/]+$/, '/calendar/[skjult].ics')
      .replace(/^\/public\/applications\/[^/]+/, '/public/applications/[skjult]') ?? ''
  );
}
