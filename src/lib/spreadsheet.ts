import { type CsvCell, toDanishCsv } from './csv.ts';

/**
 * A one-sheet Excel workbook: a bold header, money cells ({oere}) as numbers in kroner with two
 * decimals, dates ({day}) as dates shown 22.11.2026, numbers as numbers, and text as it is: a
 * workbook's text cell runs no formula, so the CSV's formula guard would only change the text.
 * ExcelJS is loaded with the first workbook: it costs the web process about 30 MB, and a process
 * that never writes one (an import, say) does without it.
 */
export async function toXlsx(sheetName: string, header: string[], rows: CsvCell[][]): Promise<Buffer> {
  const { default: ExcelJS } = await import('exceljs');
  const workbook = new ExcelJS.Workbook();
  const sheet = workbook.addWorksheet(sheetName.slice(0, 31));
  sheet.addRow(header).font = { bold: true };
  const money = new Set<number>();
  const days = new Set<number>();
  for (const row of rows) {
    sheet.addRow(
      row.map((v, i) => {
        if (v === null || v === undefined) return null;
        if (typeof v === 'object' && 'day' in v) {
          days.add(i);
          // Midnight UTC is the whole day: ExcelJS counts a date's serial from UTC.
          return new Date(`${v.day}T00:00:00Z`);
        }
        if (typeof v === 'object') {
          money.add(i);
          // Excel holds a double (15 digits) whatever we write: a sum past that is rounded there.
          return Number(v.oere) / 100;
        }
        return v;
      }),
    );
  }
  header.forEach((h, i) => {
    const column = sheet.getColumn(i + 1);
    column.width = Math.max(12, h.length + 2);
    if (money.has(i)) column.numFmt = '#,##0.00';
    if (days.has(i)) column.numFmt = 'dd.mm.yyyy';
  });
  return Buffer.from(await workbook.xlsx.writeBuffer());
}

export type TableFormat = 'csv' | 'xlsx';

/**
 * A table as the file a user downloads: a Danish CSV or an Excel workbook, with its content type
 * and an attachment name. The pages and the API send exports through this one.
 */
export async function tableFile(
  format: TableFormat,
  table: { name: string; sheet: string; header: string[]; rows: CsvCell[][] },
): Promise<{ contentType: string; disposition: string; body: string | Buffer }> {
  const disposition = `attachment; filename="${table.name}.${format}"`;
  if (format === 'csv')
    return { contentType: 'text/csv; charset=utf-8', disposition, body: toDanishCsv(table.header, table.rows) };
  return {
    contentType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
    disposition,
    body: await toXlsx(table.sheet, table.header, table.rows),
  };
}
