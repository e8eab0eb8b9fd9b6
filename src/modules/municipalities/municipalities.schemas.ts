import { z } from 'zod';

export const municipalitySchema = z.object({
  code: z.number().int().describe('Official 3-digit municipality code, as an integer (101 = København)'),
  name: z.string(),
  regionCode: z.number().int().describe('4-digit region code (1081–1085)'),
  regionName: z.string(),
});
export const municipalityCode = z.number().int().min(101).max(999);
/** A municipality's code in a path, a query string or a form field: text, read as a number. */
export const municipalityCodeParam = z.coerce.number().int().min(101).max(999);
/** A region's code (1081–1085) in a path, a query string or a form field. */
export const regionCodeParam = z.coerce.number().int().min(1081).max(1085);
