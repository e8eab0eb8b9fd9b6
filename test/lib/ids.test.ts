import t from 'tap';
import { z } from 'zod';
import { translate } from '../../src/i18n/index.ts';
import { isRowId, MAX_ROW_ID, rowId, rowIdParam, rowVersion } from '../../src/lib/ids.ts';
import { installZodMessages } from '../../src/lib/zod-messages.ts';

installZodMessages();

const message = (schema: z.ZodType, value: unknown) => schema.safeParse(value).error?.issues[0]?.message ?? '';

t.test('an id is a positive PostgreSQL integer, in a body and in a path or query', async (t) => {
  t.equal(rowId.parse(1), 1);
  t.equal(rowId.parse(MAX_ROW_ID), MAX_ROW_ID);
  t.equal(rowIdParam.parse('42'), 42, 'text is read as a number');
  for (const bad of [0, -1, 1.5, MAX_ROW_ID + 1, '1']) t.notOk(rowId.safeParse(bad).success, `refused: ${bad}`);
  for (const bad of ['0', 'abc', String(MAX_ROW_ID + 1), ''])
    t.notOk(rowIdParam.safeParse(bad).success, `refused: '${bad}'`);
  t.same([1, MAX_ROW_ID, 0, MAX_ROW_ID + 1, 2.5, Number.NaN].map(isRowId), [true, true, false, false, false, false]);
});

t.test('a bound left out is said as one, in both languages', async (t) => {
  // positive() is a minimum of 0 left out: the message said "at least 0" for an id of 0.
  t.equal(message(rowId, 0), 'validation.greaterThan?minimum=0');
  t.equal(translate('da', message(rowId, 0)), 'Værdien skal være større end 0.');
  t.equal(translate('en', message(rowVersion, -3)), 'The value must be greater than 0.');
  t.equal(translate('da', message(z.number().lt(10), 10)), 'Værdien skal være mindre end 10.');
  // The bounds a schema includes keep their words.
  t.equal(translate('da', message(z.number().int().min(1), 0)), 'Værdien skal være mindst 1.');
  t.equal(translate('en', message(rowId, MAX_ROW_ID + 1)), `The value may be at most ${MAX_ROW_ID}.`);
});
