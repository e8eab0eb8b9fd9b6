/**
 * Coded errors. Services throw these and know nothing of HTTP beyond the status each code maps to;
 * the error plugin renders them as an HTML page or as JSON {statusCode, code, message, fieldErrors?}.
 */
export type FieldErrors = Record<string, string[]>;

export class AppError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly fieldErrors: FieldErrors | undefined;
  /** Extra data for the renderer, e.g. the current row on a version conflict. */
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: string,
    statusCode: number,
    message: string,
    extra: { fieldErrors?: FieldErrors; details?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'AppError';
    this.code = code;
    this.statusCode = statusCode;
    this.fieldErrors = extra.fieldErrors;
    this.details = extra.details;
  }
}

/** Message keys (see src/i18n) are used as messages, so the renderer can translate them. */
export const notFound = (entity: string, id: string | number) =>
  new AppError('NOT_FOUND', 404, 'error.notFound', { details: { entity, id } });

export const validationFailed = (fieldErrors: FieldErrors, message = 'error.validation') =>
  new AppError('VALIDATION_FAILED', 400, message, { fieldErrors });

export const staleVersion = (entity: string, current: unknown) =>
  new AppError('STALE_VERSION', 409, 'error.staleVersion', { details: { entity, current } });
