import { crc32, createDeflateRaw } from 'node:zlib';

/**
 * A zip of the entries given, each deflated a piece at a time (so a test holds none of it whole), at
 * the level given: 9 packs a run of one character tightest (a zip bomb), 1 is several times faster.
 */
export async function zip(entries: { name: string; pieces: () => Iterable<Buffer> }[], level = 9): Promise<Buffer> {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of entries) {
    const deflate = createDeflateRaw({ level });
    const out: Buffer[] = [];
    deflate.on('data', (d: Buffer) => out.push(d));
    const done = new Promise((r) => deflate.on('end', r));
    let crc = 0;
    let size = 0;
    for (const p of entry.pieces()) {
      crc = crc32(p, crc);
      size += p.length;
      if (!deflate.write(p)) await new Promise((r) => deflate.once('drain', r));
    }
    deflate.end();
    await done;
    const data = Buffer.concat(out);
    const name = Buffer.from(entry.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, data);
    centrals.push(central, name);
    offset += local.length + name.length + data.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

export const SHEET_HEAD =
  '<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>';

let tooBig: Promise<Buffer> | undefined;

/**
 * A workbook within every limit whose 250,000 different shared texts of 1,000 characters (250 MB)
 * need more memory than a reader thread has. Made once per process (its 250 MB deflated at level 1,
 * a thousand texts a piece: 1.5 s of CPU, where one text a piece at level 9 took 5 to 8 s).
 */
export function workbookTooBigForReader(): Promise<Buffer> {
  tooBig ??= zip(
    [
      {
        name: 'xl/sharedStrings.xml',
        *pieces() {
          yield Buffer.from(
            '<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">',
          );
          const text = 'x'.repeat(990);
          for (let i = 0; i < 250_000; i += 1000) {
            const texts: string[] = [];
            for (let j = i; j < i + 1000; j++) texts.push(`<si><t>${String(j).padStart(10, '0')}${text}</t></si>`);
            yield Buffer.from(texts.join(''));
          }
          yield Buffer.from('</sst>');
        },
      },
      {
        name: 'xl/worksheets/sheet1.xml',
        *pieces() {
          yield Buffer.from(`${SHEET_HEAD}<row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>`);
        },
      },
    ],
    1,
  );
  return tooBig;
}
