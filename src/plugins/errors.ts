import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ZodError } from 'zod';
import { translate, translateFieldErrors } from '../i18n/index.ts';
import { AppError, type FieldErrors } from '../lib/errors.ts';
import { fieldErrorsFrom } from '../lib/forms.ts';
import { maskUrl } from '../lib/log-errors.ts';
import { anonymous, type Principal } from '../lib/principal.ts';
import { isRefusedStatement, outsideStatementScope } from '../lib/statement-scope.ts';
import { methodNotAllowed, RouteMethods } from './http-contract.ts';
import { isApiRequest } from './request-path.ts';

interface ErrorBody {
  statusCode: number;
  code: string;
  message: string;
  fieldErrors?: FieldErrors;
  current?: unknown;
}

/** API requests get JSON errors; pages get an HTML page. Decided on the path the router sees. */
export function wantsJson(request: FastifyRequest): boolean {
  return isApiRequest(request);
}

/**
 * Fastify's own codes (FST_…, from its body parsers, @fastify/multipart and the router) as
 * Samspil's: a client sees one set of codes, each with a message in the user's language.
 */
const FRAMEWORK_CODES: Record<string, { statusCode: number; code: string; key: string }> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { statusCode: 400, code: 'MALFORMED_JSON', key: 'error.malformedJson' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { statusCode: 400, code: 'MALFORMED_JSON', key: 'error.emptyJson' },
  FST_INVALID_JSON_FIELD_ERROR: { statusCode: 400, code: 'MALFORMED_JSON', key: 'error.malformedJson' },
  FST_ERR_CTP_BODY_TOO_LARGE: { statusCode: 413, code: 'BODY_TOO_LARGE', key: 'error.tooLarge' },
  FST_REQ_FILE_TOO_LARGE: { statusCode: 413, code: 'BODY_TOO_LARGE', key: 'error.tooLarge' },
  FST_PARTS_LIMIT: { statusCode: 413, code: 'BODY_TOO_LARGE', key: 'error.tooManyParts' },
  FST_FILES_LIMIT: { statusCode: 413, code: 'BODY_TOO_LARGE', key: 'error.tooManyParts' },
  FST_FIELDS_LIMIT: { statusCode: 413, code: 'BODY_TOO_LARGE', key: 'error.tooManyParts' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    statusCode: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    key: 'error.unsupportedMediaType',
  },
  FST_INVALID_MULTIPART_CONTENT_TYPE: { statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE', key: 'error.notMultipart' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { statusCode: 400, code: 'BAD_REQUEST', key: 'error.contentLength' },
  FST_MP_PREMATURE_CLOSE: { statusCode: 400, code: 'BAD_REQUEST', key: 'error.badRequest' },
  FST_PROTO_VIOLATION: { statusCode: 400, code: 'VALIDATION_FAILED', key: 'error.validation' },
  FST_ERR_VALIDATION: { statusCode: 400, code: 'VALIDATION_FAILED', key: 'error.validation' },
  FST_ERR_BAD_URL: { statusCode: 400, code: 'BAD_REQUEST', key: 'error.badUrl' },
  FST_ERR_NOT_FOUND: { statusCode: 404, code: 'NOT_FOUND', key: 'error.pageNotFound' },
};

/** A 4xx that is not Samspil's own: its code by status, when Fastify gave it one we do not know. */
function clientError(statusCode: number, code: string | undefined) {
  const known = code ? FRAMEWORK_CODES[code] : undefined;
  if (known) return { ...known };
  if (statusCode === 413) return { statusCode, code: 'BODY_TOO_LARGE', key: 'error.tooLarge' };
  if (statusCode === 415) return { statusCode, code: 'UNSUPPORTED_MEDIA_TYPE', key: 'error.unsupportedMediaType' };
  if (statusCode === 404) return { statusCode, code: 'NOT_FOUND', key: 'error.pageNotFound' };
  return { statusCode, code: 'BAD_REQUEST', key: 'error.badRequest' };
}

/** Maps anything thrown to a status, a code and a catalogue key; never exposes a stack trace. */
function classify(error: unknown): {
  statusCode: number;
  code: string;
  key: string;
  fieldErrors?: FieldErrors;
  details?: Record<string, unknown>;
} {
  if (error instanceof AppError) {
    return {
      statusCode: error.statusCode,
      code: error.code,
      key: error.message,
      fieldErrors: error.fieldErrors,
      details: error.details,
    };
  }
  const err = error as FastifyError & { code?: string };
  if (hasZodFastifySchemaValidationErrors(err)) {
    const fieldErrors: FieldErrors = {};
    for (const v of err.validation) {
      const path = v.instancePath.replace(/^\//, '').replaceAll('/', '.');
      const key = path || (v.params as { issue?: { path?: unknown[] } }).issue?.path?.join('.') || '_';
      fieldErrors[key] = [...(fieldErrors[key] ?? []), v.message ?? 'validation.invalid'];
    }
    return { statusCode: 400, code: 'VALIDATION_FAILED', key: 'error.validation', fieldErrors };
  }
  if (error instanceof ZodError) {
    return { statusCode: 400, code: 'VALIDATION_FAILED', key: 'error.validation', fieldErrors: fieldErrorsFrom(error) };
  }
  // PostgreSQL's own codes, on the error or (from drizzle) on its cause.
  const pgCode = (err as { code?: unknown })?.code ?? (err as { cause?: { code?: unknown } })?.cause?.code;
  if (pgCode === '23505') {
    return { statusCode: 409, code: 'CONFLICT', key: 'error.conflict' };
  }
  // A check the database makes (an amount above the maximum, on a row kept from before the limit).
  if (pgCode === '23514') {
    return { statusCode: 409, code: 'CONSTRAINT_VIOLATED', key: 'error.checkViolation' };
  }
  // A statement that ran past STATEMENT_TIMEOUT_MS (or was cancelled because its client left).
  if (pgCode === '57014') {
    return { statusCode: 503, code: 'QUERY_TIMEOUT', key: 'error.queryTimeout' };
  }
  // A number or date the database cannot hold (an id beyond 32 bits, say), or text it cannot store
  // (a NUL character, 22021; a character the encoding lacks, 22P05): bad input, not our failure.
  if (['22003', '22P02', '22007', '22008', '22021', '22P05'].includes(String(pgCode))) {
    return { statusCode: 400, code: 'VALIDATION_FAILED', key: 'error.validation' };
  }
  const framework = typeof err?.code === 'string' ? FRAMEWORK_CODES[err.code] : undefined;
  if (framework) return { ...framework };
  if (err && typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return clientError(err.statusCode, err.code);
  }
  return { statusCode: 500, code: 'INTERNAL_ERROR', key: 'error.internal' };
}

/** A refused request, as the audit trail keeps it: who asked, for what, and the refusal's code. */
interface Denial {
  principal: Principal;
  /** The method and the path without its query string: `POST /actors`. */
  route: string;
  code: string;
  details?: Record<string, unknown>;
}

export interface ErrorsOptions {
  /** Writes a refusal (403) to the audit trail; the app passes the audit module's. */
  recordDenied: (denial: Denial) => Promise<void>;
}

/** Denied access is part of the audit trail. A failure to record it is logged, not answered. */
async function recordDenied(request: FastifyRequest, error: AppError, options: ErrorsOptions): Promise<void> {
  try {
    // Recorded even if the client has gone: the refusal happened.
    await outsideStatementScope(() =>
      options.recordDenied({
        principal: request.principal ?? anonymous,
        route: `${request.method} ${maskUrl(request.url)}`,
        code: error.code,
        details: error.details,
      }),
    );
  } catch (err) {
    request.log.error({ err }, 'could not record denied access');
  }
}

async function sendError(
  request: FastifyRequest,
  reply: FastifyReply,
  error: unknown,
  options: ErrorsOptions,
): Promise<FastifyReply> {
  const c = classify(error);
  // A request whose client went away has its statements cancelled or refused (StatementScope): that
  // is the client's doing, not a failure of the server.
  if (c.code === 'QUERY_TIMEOUT' && reply.raw.destroyed && isRefusedStatement(error)) {
    request.log.info('the client went away before its answer; its statements were cancelled');
  } else if (c.statusCode >= 500) request.log.error({ err: error }, 'request failed');
  if (error instanceof AppError && error.statusCode === 403) await recordDenied(request, error, options);
  const t = (k: string) => translate(request.locale ?? 'da', k);
  const fieldErrors = translateFieldErrors(request.locale ?? 'da', c.fieldErrors);
  if (wantsJson(request)) {
    const body: ErrorBody = { statusCode: c.statusCode, code: c.code, message: t(c.key) };
    if (fieldErrors) body.fieldErrors = fieldErrors;
    if (c.details && 'current' in c.details) body.current = c.details.current;
    return reply.code(c.statusCode).type('application/json; charset=utf-8').send(body);
  }
  const page = [401, 403, 404, 409, 422, 429].includes(c.statusCode)
    ? c.statusCode
    : c.statusCode >= 500
      ? 500
      : 'other';
  return reply.page(
    'errors/error',
    {
      title: t(`errorPage.title.${page}`),
      statusCode: c.statusCode,
      code: c.code,
      message: t(c.key),
      page,
      fieldErrors,
    },
    { status: c.statusCode },
  );
}

export const errorsPlugin = fp(
  async (app, options: ErrorsOptions) => {
    app.setErrorHandler(async (error, request, reply) => sendError(request, reply, error, options));
    // A known path asked with a method it does not offer is 405 with the methods it does, not 404.
    const routes = new RouteMethods();
    app.addHook('onRoute', (route) => routes.add(route));
    app.setNotFoundHandler(async (request, reply) => {
      const refused = methodNotAllowed(request, routes);
      if (refused) reply.header('allow', refused.details?.allow);
      return sendError(request, reply, refused ?? new AppError('NOT_FOUND', 404, 'error.pageNotFound'), options);
    });
  },
  { name: 'errors', dependencies: ['views'] },
);
