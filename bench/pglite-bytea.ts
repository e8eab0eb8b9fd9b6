/**
 * `node bench/pglite-bytea.ts` (Node 20: `npx tsx bench/pglite-bytea.ts`; the end of `npm run bench`):
 * what writing and reading a document's bytes costs on embedded PGlite, the default database. A
 * document is kept as pieces of 256 KB in a bytea column (applications.documents.repository.ts; an
 * import's file likewise), each piece one statement with the piece as its parameter.
 *
 * Two in-memory PGlite instances in this process, in the same run: one with PGlite's own bytea
 * serializer, one as Samspil opens it (openPglite: db/driver-types.ts). On each, ROUNDS times, a
 * DOCUMENT_MIB document is written piece by piece and read back; the process's CPU time
 * (process.cpuUsage) is taken for each, and the longest single insert of a piece (the event loop is
 * held that long). Both read with Samspil's bytea parser. The floor beside them: the same bytes
 * hex-encoded by Buffer alone, the least any driver does. Medians of the rounds.
 *
 * Writes bench/pglite-bytea.json and the table between the markers in bench/APPLICATIONS.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { openPglite } from '../src/db/client.ts';
import { pgliteParsers } from '../src/db/driver-types.ts';
import { median } from './stats.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const DOCUMENT_MIB = Number(process.env.BENCH_DOCUMENT_MIB ?? 10);
const PIECE_BYTES = 256 * 1024;
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

interface Figures {
  writeCpuMs: number;
  readCpuMs: number;
  /** The longest single insert of a piece: the event loop is held that long. */
  longestWriteMs: number;
}

const cpuNow = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

/** A document of random bytes, as the pieces a read stream gives (views into larger buffers). */
function documentPieces(): Buffer[] {
  const whole = Buffer.alloc(DOCUMENT_MIB * 1024 * 1024);
  for (let i = 0; i < whole.length; i += 4) whole.writeUInt32LE((Math.random() * 2 ** 32) >>> 0, i);
  const pieces: Buffer[] = [];
  for (let at = 0; at < whole.length; at += PIECE_BYTES) pieces.push(whole.subarray(at, at + PIECE_BYTES));
  return pieces;
}

async function measure(pglite: PGlite, pieces: Buffer[]): Promise<Figures> {
  await pglite.exec('create table if not exists pieces (document_id int, n int, data bytea not null)');
  const write: number[] = [];
  const read: number[] = [];
  let longestWrite = 0;
  for (let round = 1; round <= ROUNDS; round++) {
    let started = cpuNow();
    for (const [n, piece] of pieces.entries()) {
      const at = performance.now();
      await pglite.query('insert into pieces (document_id, n, data) values ($1, $2, $3)', [round, n, piece]);
      longestWrite = Math.max(longestWrite, performance.now() - at);
    }
    write.push(cpuNow() - started);
    started = cpuNow();
    for (let n = 0; n < pieces.length; n++) {
      const result = await pglite.query<{ data: Buffer }>('select data from pieces where document_id = $1 and n = $2', [
        round,
        n,
      ]);
      if (!result.rows[0]?.data.equals(pieces[n] as Buffer)) throw new Error(`piece ${n} came back changed`);
    }
    read.push(cpuNow() - started);
  }
  return {
    writeCpuMs: Math.round(median(write)),
    readCpuMs: Math.round(median(read)),
    longestWriteMs: Math.round(longestWrite),
  };
}

async function main() {
  const pieces = documentPieces();
  const floor: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const started = cpuNow();
    for (const piece of pieces) piece.toString('hex');
    floor.push(cpuNow() - started);
  }
  const floorMs = median(floor);

  // Read back with Samspil's bytea parser on both (PGlite's own makes a number of each pair of hex
  // digits): what differs between the two is the writing.
  const own = await PGlite.create({ extensions: { pg_trgm }, parsers: pgliteParsers });
  const pgliteOwn = await measure(own, pieces);
  await own.close();
  const samspil = await openPglite();
  const samspilFigures = await measure(samspil, pieces);
  await samspil.close();

  const results = {
    at: new Date().toISOString(),
    machine: { cpus: cpus().length, node: process.version },
    documentMiB: DOCUMENT_MIB,
    pieceKiB: PIECE_BYTES / 1024,
    rounds: ROUNDS,
    floorHexEncodeCpuMs: Math.round(floorMs),
    pgliteOwnSerializer: pgliteOwn,
    samspil: samspilFigures,
  };
  console.log(JSON.stringify(results, null, 2));
  writeFileSync(join(root, 'bench', 'pglite-bytea.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFigures(results);
}

function writeFigures(r: {
  at: string;
  machine: { cpus: number; node: string };
  documentMiB: number;
  floorHexEncodeCpuMs: number;
  pgliteOwnSerializer: Figures;
  samspil: Figures;
}) {
  const file = join(root, 'bench', 'APPLICATIONS.md');
  const md = readFileSync(file, 'utf8');
  const start = '<!-- pglite-bytea:start -->';
  const end = '<!-- pglite-bytea:end -->';
  const row = (what: string, f: Figures) => `| ${what} | ${f.writeCpuMs} | ${f.readCpuMs} | ${f.longestWriteMs} |`;
  const table = [
    start,
    `Measured ${r.at.slice(0, 10)} by \`bench/pglite-bytea.ts\` (${r.machine.cpus} cores, Node ${r.machine.node}): a ${r.documentMiB} MB document in pieces of 256 KB on in-memory PGlite, the median of the rounds.`,
    '',
    '| PGlite | CPU ms to write | CPU ms to read back | longest write of a piece, ms |',
    '|---|---:|---:|---:|',
    row('its own bytea serializer (read back with Samspil’s parser)', r.pgliteOwnSerializer),
    row('as Samspil opens it (`openPglite`)', r.samspil),
    `| floor: the bytes hex-encoded by Buffer alone | ${r.floorHexEncodeCpuMs} | | |`,
    end,
  ].join('\n');
  const from = md.indexOf(start);
  const to = md.indexOf(end);
  const next =
    from >= 0 && to > from
      ? `${md.slice(0, from)}${table}${md.slice(to + end.length)}`
      : `${md.trimEnd()}\n\n${table}\n`;
  writeFileSync(file, next);
}

await main();
