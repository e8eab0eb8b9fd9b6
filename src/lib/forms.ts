import { z } from 'zod';
import { type FieldErrors, notFound, validationFailed } from './errors.ts';
import { MAX_ROW_ID, rowIdParam } from './ids.ts';

/**
 * HTML forms send strings. This walks a zod object schema and turns a parsed form body into
 * the shape the schema (the same one the JSON API uses) expects:
 * - '' becomes undefined (or null where the field is nullable and not optional);
 * - checkboxes ('on', 'true', '1') become booleans, and an absent checkbox false;
 * - numbers are parsed; a single value for an array field becomes a one-item array;
 * - an object keyed by index (contacts[0][name]) becomes an array, with empty rows dropped.
 */
export function coerceForm(schema: z.ZodType, input: unknown): unknown {
  return coerce(schema, input);
}

type Def = {
  type: string;
  innerType?: z.ZodType;
  element?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  in?: z.ZodType;
};

function def(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** Unwraps optional/nullable/default/pipe wrappers, noting which were seen. */
function unwrap(schema: z.ZodType): { core: z.ZodType; optional: boolean; nullable: boolean } {
  let core = schema;
  let optional = false;
  let nullable = false;
  for (;;) {
    const d = def(core);
    if (d.type === 'optional' || d.type === 'default' || d.type === 'prefault') optional = true;
    else if (d.type === 'nullable') nullable = true;
    else if (d.type === 'pipe' && d.in) {
      core = d.in;
      continue;
    } else break;
    core = d.innerType as z.ZodType;
  }
  return { core, optional, nullable };
}

function isBlank(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.every(isBlank);
  if (typeof value === 'object') return Object.values(value as object).every(isBlank);
  return false;
}

function coerce(schema: z.ZodType, value: unknown): unknown {
  const { core, optional, nullable } = unwrap(schema);
  const d = def(core);
  if (d.type === 'boolean') {
    if (Array.isArray(value)) value = value[value.length - 1];
    if (value === undefined || value === '') return optional ? undefined : false;
    return value === 'on' || value === 'true' || value === '1' || value === true;
  }
  if (d.type === 'array' && d.element) {
    if (value === undefined || value === '') return optional ? undefined : [];
    const items = Array.isArray(value)
      ? value
      : typeof value === 'object' && value !== null
        ? Object.keys(value)
            .sort((a, b) => Number(a) - Number(b))
            .map((k) => (value as Record<string, unknown>)[k])
        : [value];
    const element = d.element;
    return items.filter((item) => !isBlank(item)).map((item) => coerce(element, item));
  }
  if (d.type === 'object' && d.shape) {
    // A required group of fields that was not sent at all is checked field by field.
    if (value === undefined && !optional) value = {};
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
    const out: Record<string, unknown> = {};
    const source = value as Record<string, unknown>;
    for (const [key, field] of Object.entries(d.shape)) {
      const v = coerce(field, source[key]);
      if (v !== undefined) out[key] = v;
    }
    return out;
  }
  if (Array.isArray(value)) value = value[value.length - 1];
  if (typeof value === 'string') {
    const trimmed = value.trim();
    if (trimmed === '') return nullable && !optional ? null : undefined;
    if (d.type === 'number' || d.type === 'int') {
      const n = Number(trimmed);
      return Number.isFinite(n) ? n : trimmed;
    }
    return trimmed;
  }
  return value;
}

/** A form body read by its schema; a form that does not pass is refused with its field errors (400). */
export function parseForm<T extends z.ZodType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(coerceForm(schema, formValues(body)));
  if (!parsed.success) throw validationFailed(fieldErrorsFrom(parsed.error));
  return parsed.data;
}

type Lenient<T extends z.ZodRawShape> = { [K in keyof T]: z.ZodCatch<z.ZodOptional<T[K]>> };

/**
 * A page's query from the API's query schema: the same fields, each dropped when malformed (a link
 * from an old bookmark still opens the page).
 */
export function lenientQuery<T extends z.ZodRawShape>(query: z.ZodObject<T>) {
  const fields = Object.fromEntries(
    Object.entries(query.shape).map(([key, field]) => [key, (field as z.ZodType).optional().catch(undefined)]),
  );
  return z.object(fields) as unknown as z.ZodObject<Lenient<T>>;
}

/** A list page's filters from the API's query schema (lenientQuery), and the page number. */
export function pageFilters<T extends z.ZodRawShape>(query: z.ZodObject<T>) {
  return lenientQuery(query).extend({
    page: z.coerce.number().int().min(1).max(10_000).default(1).catch(1),
  });
}

/** zod issues as {path: [messages]}, with dotted paths (contacts.0.email). */
export function fieldErrorsFrom(error: z.ZodError): FieldErrors {
  const out: FieldErrors = {};
  for (const issue of error.issues) {
    const key = issue.path.length ? issue.path.map(String).join('.') : '_';
    const list = out[key] ?? [];
    list.push(issue.message);
    out[key] = list;
  }
  return out;
}

/**
 * The numeric id of a page's URL (/actors/:id); anything else is a page that does not exist. `max` is
 * for a table whose ids are `bigint` (a grant's payments).
 */
export function idFrom(params: unknown, key = 'id', max = MAX_ROW_ID): number {
  const raw = (params as Record<string, unknown> | undefined)?.[key];
  const id = typeof raw === 'string' && /^\d{1,16}$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(id) || id < 1 || id > max) throw notFound('page', String(raw));
  return id;
}

/**
 * A redirect target that stays on this site: a path, not "//host" or "/\\host", and no control
 * characters (browsers drop a tab or line break, which would turn "/\t/host" into "//host"), no
 * invisible format characters, line or paragraph separators (U+2028) or lone surrogates: none is in a
 * link of ours, and a header may not carry them. Anything else beyond ASCII goes out percent-encoded
 * as UTF-8, as a browser would send it. Otherwise the front page.
 */
export function localPath(s: unknown): string {
  if (typeof s !== 'string' || s.length >= 2000 || !/^\/(?![/\\])/.test(s)) return '/';
  if (/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u.test(s)) return '/';
  return s.replace(/[^\x21-\x7e]+/g, (run) => encodeURI(run));
}

/** A parsed form body as a plain record (an absent or odd body reads as empty). */
export function formValues(body: unknown): Record<string, unknown> {
  return body && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
}

/** The actor a new form is opened for (`?actorId=`), dropped when it is no id. */
export const actorChoice = z.object({
  actorId: rowIdParam.optional().catch(undefined),
});

/**
 * The query of the report a list was opened from (a drill-down), so the list can link back to it
 * as it was: only the characters a query string built by URLSearchParams has.
 */
export const reportBack = z
  .string()
  .max(2000)
  .regex(/^[A-Za-z0-9=&%._-]+$/)
  .optional()
  .catch(undefined);

/**
 * A refused form is shown again at the address it posted to. That address is a page too: a GET of
 * it leads (303) to the page that holds the form, so reloading it later, a bookmark or a link sent
 * to a colleague lands on the form, never on 404. `page` gets the address's numeric ids; `maxima`
 * names an id whose column is a `bigint` (a payment's).
 */
export function formAddress(
  app: { get(path: string, handler: (request: { params: unknown }, reply: Redirecting) => unknown): unknown },
  postPath: string,
  page: (ids: Record<string, number>) => string,
  maxima: Record<string, number> = {},
): void {
  const keys = [...postPath.matchAll(/:(\w+)/g)].map((m) => m[1] as string);
  app.get(postPath, async (request, reply) =>
    reply.redirect(page(Object.fromEntries(keys.map((k) => [k, idFrom(request.params, k, maxima[k])]))), 303),
  );
}
interface Redirecting {
  redirect(url: string, code: number): unknown;
}
