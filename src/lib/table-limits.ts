/**
 * What the upload reader works with, on either side of the thread: the limits of an upload, a
 * file's format, and a row as read. The readers (table-parse.ts, xlsx-parse.ts) and their driver
 * (table-reader.ts) all import these from here, so none of them imports another in a circle.
 */

/** What an upload may be. Past any of them the file is refused, with a message naming the limit. */
export interface UploadLimits {
  /** Bytes of the file as uploaded. */
  bytes: number;
  /** Bytes of an XLSX workbook once unpacked, all its parts together. */
  decompressedBytes: number;
  /** Rows below the header (blank ones not counted). */
  rows: number;
  cellsPerRow: number;
  /** Characters in one cell (Excel's own limit). */
  cellLength: number;
  /** Characters in one row of a CSV file (read in the web process: a row costs at most this). */
  rowLength: number;
}

export const UPLOAD_LIMITS: UploadLimits = {
  bytes: 200 * 1024 * 1024,
  decompressedBytes: 1024 * 1024 * 1024,
  rows: 1_000_000,
  cellsPerRow: 1000,
  cellLength: 32_767,
  rowLength: 1_000_000,
};

export interface TableFormat {
  kind: 'csv' | 'xlsx';
  encoding: 'utf-8' | 'windows-1252';
  delimiter: string;
}

export interface TableRow {
  cells: string[];
  /** Its line in the file (the header is line 1). */
  line: number;
}
