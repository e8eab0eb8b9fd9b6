import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from './errors.ts';
import { readTableFile, refusal, type Table, UPLOAD_LIMITS, type UploadLimits } from './table-reader.ts';

// The import's plan reads Danish dates from here: the one parser is in dates.ts.
export { sampleRows, type Table, UPLOAD_LIMITS, type UploadLimits } from './table-reader.ts';

/** A fresh path for an upload's file, in the system's temporary directory. */
export async function uploadPath(): Promise<string> {
  const dir = join(tmpdir(), 'samspil-uploads');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  return join(dir, `${Date.now()}-${randomBytes(8).toString('hex')}`);
}

/**
 * Writes an uploaded file to disk as it arrives, never holding more than a piece of it: more than
 * maxBytes is refused (413, naming the limit), and a body cut off before its end is a 400.
 * Nothing is left on disk when it is refused.
 */
export async function spoolUpload(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  maxBytes = UPLOAD_LIMITS.bytes,
  tooLarge: (maxBytes: number) => AppError = (max) => refusal('import.file.tooLarge', { max: max / 1024 / 1024 }),
): Promise<{ path: string; bytes: number }> {
  const path = await uploadPath();
  let bytes = 0;
  try {
    await pipeline(
      Readable.from(source),
      async function* (pieces: AsyncIterable<Uint8Array>) {
        for await (const piece of pieces) {
          bytes += piece.length;
          if (bytes > maxBytes) throw tooLarge(maxBytes);
          yield piece;
        }
      },
      createWriteStream(path, { mode: 0o600 }),
    );
  } catch (err) {
    await rm(path, { force: true });
    if (err instanceof AppError) throw err;
    throw refusal('import.file.incomplete');
  }
  return { path, bytes };
}

/** Reads the file given (its bytes, or pieces) as a table for fn; the file is removed afterwards. */
export async function withTable<T>(
  source: Buffer | AsyncIterable<Uint8Array>,
  fn: (table: Table, path: string) => Promise<T>,
  limits: UploadLimits = UPLOAD_LIMITS,
): Promise<T> {
  const { path } = await spoolUpload(Buffer.isBuffer(source) ? [source] : source, Number.POSITIVE_INFINITY);
  try {
    return await fn(await readTableFile(path, limits), path);
  } finally {
    await rm(path, { force: true });
  }
}

/**
 * Lower case, æ→ae, ø→oe, å→aa, accents dropped, and nothing but letters and digits (of any
 * script): for comparing headers and names.
 */
export function fold(s: string): string {
  return s
    .normalize('NFC')
    .toLowerCase()
    .replaceAll('æ', 'ae')
    .replaceAll('ø', 'oe')
    .replaceAll('å', 'aa')
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .replace(/[^\p{L}\p{N}]/gu, '');
}

/** Text a spreadsheet would run as a formula: =, +, - or @ first (a lone number such as -5 is not). */
export function isFormula(s: string): boolean {
  // A phone number such as +45 12 34 56 78 is digits only: a spreadsheet runs nothing of it.
  if (/^\+[\d\s()-]+$/.test(s)) return false;
  return /^[=+@\t\r]/.test(s) || /^-(?![\d\s,.]*$)/.test(s);
}
