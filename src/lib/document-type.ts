/**
 * The type of an uploaded document, read from its content (never from its name or the type the
 * browser claims): PDF, JPEG and PNG by their first bytes; DOCX, XLSX and ODT are zip archives,
 * told apart by what is inside (ODT's uncompressed `mimetype` entry, which must come first; the
 * `word/` or `xl/` main part of an Office file, with its [Content_Types].xml). Only the start of the
 * file and its zip directory are read, never the whole file.
 */
import { type FileHandle, open } from 'node:fs/promises';

export const DOCUMENT_TYPES = {
  pdf: 'application/pdf',
  jpeg: 'image/jpeg',
  png: 'image/png',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  odt: 'application/vnd.oasis.opendocument.text',
} as const;

export type DocumentMediaType = (typeof DOCUMENT_TYPES)[keyof typeof DOCUMENT_TYPES];

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const ZIP = Buffer.from('PK\x03\x04', 'latin1');
/** At most this many names are read from a zip's directory. */
const MAX_ENTRIES = 5_000;

async function bytesAt(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const b = Buffer.alloc(Math.max(0, length));
  const { bytesRead } = await fh.read(b, 0, b.length, position);
  return b.subarray(0, bytesRead);
}

/** The names in a zip's central directory, or undefined when it has none that can be read. */
async function zipNames(fh: FileHandle, size: number): Promise<string[] | undefined> {
  const from = Math.max(0, size - 22 - 0xffff);
  const tail = await bytesAt(fh, from, size - from);
  const end = tail.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  if (end < 0 || end + 22 > tail.length) return undefined;
  const count = Math.min(tail.readUInt16LE(end + 10), MAX_ENTRIES);
  const dirSize = tail.readUInt32LE(end + 12);
  const dirAt = tail.readUInt32LE(end + 16);
  if (dirAt + dirSize > size || dirSize > 4 * 1024 * 1024) return undefined;
  const dir = await bytesAt(fh, dirAt, dirSize);
  const names: string[] = [];
  for (let at = 0; names.length < count && at + 46 <= dir.length; ) {
    if (dir.readUInt32LE(at) !== 0x02014b50) return undefined;
    const nameLength = dir.readUInt16LE(at + 28);
    names.push(dir.toString('utf8', at + 46, at + 46 + nameLength));
    at += 46 + nameLength + dir.readUInt16LE(at + 30) + dir.readUInt16LE(at + 32);
  }
  return names;
}

async function zipType(fh: FileHandle, size: number): Promise<DocumentMediaType | undefined> {
  // ODT: the first entry is `mimetype`, stored, holding the type itself.
  const local = await bytesAt(fh, 0, 30 + 8 + 64);
  if (local.length >= 38 && local.toString('latin1', 30, 38) === 'mimetype' && local.readUInt16LE(8) === 0) {
    const dataAt = 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const type = (await bytesAt(fh, dataAt, DOCUMENT_TYPES.odt.length)).toString('latin1');
    if (type === DOCUMENT_TYPES.odt) return (await zipNames(fh, size))?.includes('content.xml') ? type : undefined;
  }
  const names = await zipNames(fh, size);
  if (!names?.includes('[Content_Types].xml')) return undefined;
  if (names.includes('word/document.xml')) return DOCUMENT_TYPES.docx;
  if (names.includes('xl/workbook.xml')) return DOCUMENT_TYPES.xlsx;
  return undefined;
}

/** The media type of the file at path, or undefined when it is none of the types taken. */
export async function detectDocumentType(path: string): Promise<DocumentMediaType | undefined> {
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const head = await bytesAt(fh, 0, 8);
    if (head.toString('latin1', 0, 5) === '%PDF-') return DOCUMENT_TYPES.pdf;
    if (head.length >= 3 && head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) return DOCUMENT_TYPES.jpeg;
    if (head.equals(PNG)) return DOCUMENT_TYPES.png;
    if (head.subarray(0, 4).equals(ZIP)) return await zipType(fh, size);
    return undefined;
  } finally {
    await fh.close();
  }
}
