import { z } from 'zod';

/** The JSON error body every API route answers with: {statusCode, code, message, fieldErrors?}. */
export const errorSchema = z.object({
  statusCode: z.number().int(),
  code: z.string(),
  message: z.string(),
  fieldErrors: z.record(z.string(), z.array(z.string())).optional(),
  current: z.unknown().optional().describe('On a stale version: the record as it is now'),
});

export function errorResponses(...codes: number[]): Record<number, typeof errorSchema> {
  return Object.fromEntries(codes.map((c) => [c, errorSchema]));
}

/** A day in an answer, YYYY-MM-DD, documented as `format: date` (input schemas validate with z.iso.date()). */
export const dateOut = z.string().meta({ format: 'date' });

/** An instant in an answer, ISO 8601 with its offset, documented as `format: date-time`. */
export const dateTimeOut = z.string().meta({ format: 'date-time' });

const fileMediaTypes = {
  csv: 'text/csv',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
} as const;

/** A download's 200 in the contract: a Danish CSV (semicolons, decimal commas) or an Excel workbook. */
export function fileResponse(format: keyof typeof fileMediaTypes) {
  return {
    description:
      format === 'csv'
        ? 'A CSV file for Danish Excel: UTF-8 with a BOM, semicolons, decimal commas'
        : 'An Excel workbook: money in kroner and dates as real numbers and dates',
    content: {
      [fileMediaTypes[format]]: { schema: z.custom<string | Buffer>().meta({ type: 'string', format: 'binary' }) },
    },
  };
}
