import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { threadId, Worker } from 'node:worker_threads';
import { Refusal } from './csv.ts';
import { AppError } from './errors.ts';
import { type TableFormat, type TableRow, UPLOAD_LIMITS, type UploadLimits } from './table-limits.ts';
import { batches, scan } from './table-parse.ts';

export { UPLOAD_LIMITS, type UploadLimits } from './table-limits.ts';

/** The heap of the thread that reads uploads: a file needing more ends that thread, not the app. */
const READER_HEAP_MB = 128;

type JobRequest =
  | { type: 'scan'; path: string; limits: UploadLimits }
  | { type: 'rows'; path: string; limits: UploadLimits; format: TableFormat };

export type WorkerRequest = (JobRequest & { job: number }) | { type: 'pull' | 'cancel'; job: number };

export type WorkerReply =
  | ({ type: 'scanned'; job: number; header: string[]; rowCount: number } & TableFormat)
  | { type: 'rows'; job: number; rows: TableRow[] }
  | { type: 'end'; job: number }
  | { type: 'error'; job: number; key: string; params: Record<string, number>; detail?: string };

/**
 * A spreadsheet as read from an upload: the header line, and the rows below it, read again from
 * the file, a batch at a time, on each pass (never held as a whole).
 */
export interface Table {
  header: string[];
  /** Rows with something in them. */
  rowCount: number;
  /** Each batch of rows with something in them, in order; false stops. */
  forEachBatch(fn: (rows: TableRow[]) => Promise<boolean | undefined> | boolean | undefined): Promise<void>;
  /** Each row with something in it; false stops. */
  forEachRow(fn: (cells: string[], line: number) => boolean | undefined): Promise<void>;
}

/**
 * A file refused: its message key carries what it names (the limit, the line), as the catalogues
 * read parameters from a key ("import.file.tooManyRows?max=1.000.000").
 */
export function refusal(key: string, params: Record<string, number> = {}): AppError {
  const given = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, v.toLocaleString('da-DK')])).toString();
  return new AppError('IMPORT_UNREADABLE', key === 'import.file.tooLarge' ? 413 : 400, given ? `${key}?${given}` : key);
}

type Listener = (m: WorkerReply | { type: 'crash'; error: Error }) => void;

let nextJob = 1;
let bundled: URL | undefined;

/**
 * The reader thread's code. Node 24 reads its TypeScript itself. An older Node (the tests on the
 * machine's Node 20, under tsx) gets it bundled into one JavaScript file by esbuild (tsx's own), once
 * per version of the code: loading tsx in every thread took about half a second per job.
 */
function workerEntry(): URL {
  const source = new URL('./table-worker.ts', import.meta.url);
  if (process.features.typescript) return source;
  if (bundled) return bundled;
  const here = fileURLToPath(new URL('.', import.meta.url));
  const hash = createHash('sha256');
  // The thread's code is in src/lib (it imports nothing from elsewhere in src but types).
  for (const file of readdirSync(here).sort()) if (file.endsWith('.ts')) hash.update(readFileSync(join(here, file)));
  // Beside node_modules, so that the packages it imports resolve as they do from src/.
  const dir = fileURLToPath(new URL('../../node_modules/.cache/samspil/', import.meta.url));
  const out = join(dir, `table-worker-${hash.digest('hex').slice(0, 16)}.mjs`);
  if (!existsSync(out)) {
    mkdirSync(dir, { recursive: true });
    const esbuild = createRequire(import.meta.url)('esbuild') as {
      buildSync(o: Record<string, unknown>): unknown;
    };
    const temporary = `${out}.${process.pid}.${threadId}.tmp`;
    esbuild.buildSync({
      entryPoints: [fileURLToPath(source)],
      bundle: true,
      format: 'esm',
      platform: 'node',
      packages: 'external',
      outfile: temporary,
      logLevel: 'silent',
    });
    renameSync(temporary, out);
  }
  bundled = pathToFileURL(out);
  return bundled;
}

/** How long a reader thread is kept for the next job once it has none. */
const SPARE_MS = 20_000;

/** The reader thread kept between jobs: an import's passes follow one another on one thread. */
let spare: { thread: Worker; timer: NodeJS.Timeout } | undefined;

/** Reader threads started since the process began (a figure for tests and the bench). */
let started = 0;
export const readerThreadsStarted = () => started;

function readerThread(): Worker {
  if (spare) {
    const { thread, timer } = spare;
    spare = undefined;
    clearTimeout(timer);
    thread.ref();
    return thread;
  }
  started++;
  return new Worker(workerEntry(), {
    resourceLimits: { maxOldGenerationSizeMb: READER_HEAP_MB, maxYoungGenerationSizeMb: 8 },
    stdout: false,
    stderr: false,
  });
}

/** A thread whose job ended as planned waits for the next one (one thread at most, for a while). */
function keepForNext(thread: Worker) {
  if (spare) {
    void thread.terminate();
    return;
  }
  // An idle thread keeps neither the process nor a test run alive.
  thread.unref();
  const timer = setTimeout(() => {
    if (spare?.thread !== thread) return;
    spare = undefined;
    void thread.terminate();
  }, SPARE_MS);
  timer.unref();
  spare = { thread, timer };
}

/**
 * Runs one job (a scan, or one pass over the rows) on a reader thread that runs no other job at
 * the same time: a file that takes more memory than a reader may ends only its own job's thread,
 * never another upload's or a background import's. A thread that ended its job as planned is kept
 * for the next job; each new thread costs native memory that the process does not give back, and
 * an import reads its file several times.
 */
function job(request: JobRequest, on: Listener): { post: (type: 'pull' | 'cancel') => void } {
  const id = nextJob++;
  const w = readerThread();
  let done = false;
  const onMessage = (m: WorkerReply) => {
    if (done || m.job !== id) return;
    if (m.type === 'end' || m.type === 'scanned') finish(m, true);
    else if (m.type === 'error') finish(m, false);
    else on(m);
  };
  const onError = (error: Error) => finish({ type: 'crash', error }, false);
  const onExit = (code: number) =>
    finish({ type: 'crash', error: new Error(`the reader thread stopped (${code})`) }, false);
  function finish(m: WorkerReply | { type: 'crash'; error: Error }, planned: boolean) {
    if (done) return;
    done = true;
    w.off('message', onMessage);
    w.off('error', onError);
    w.off('exit', onExit);
    // A refused file may have left the thread in any state: only a clean end earns it another job.
    if (planned) keepForNext(w);
    else void w.terminate();
    on(m);
  }
  w.on('message', onMessage);
  w.on('error', onError);
  w.on('exit', onExit);
  w.postMessage({ ...request, job: id });
  return { post: (type) => (done ? undefined : w.postMessage({ type, job: id })) };
}

function failure(m: { type: 'crash'; error: Error } | { type: 'error'; key: string; params: Record<string, number> }) {
  if (m.type === 'error') return refusal(m.key, m.params);
  // The thread ran out of its heap (or died otherwise): the file needs more than a file may.
  return refusal('import.file.tooBig', { max: READER_HEAP_MB });
}

/** A ZIP archive's first bytes: an XLSX workbook (anything else is read as CSV, or refused). */
async function isZip(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await fh.read(head, 0, 4, 0);
    return bytesRead === 4 && head.equals(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
  } finally {
    await fh.close();
  }
}

/**
 * Reads the CSV or XLSX file at path, refusing what is not a readable table or passes a limit
 * (AppError IMPORT_UNREADABLE); each pass over its rows reads the file again. A CSV file is read
 * in the web process, a piece at a time; an XLSX workbook, whose parser holds much more than its
 * rows, in the reader thread.
 */
export async function readTableFile(path: string, limits: UploadLimits = UPLOAD_LIMITS): Promise<Table> {
  return (await isZip(path)) ? readOnThread(path, limits) : readHere(path, limits);
}

/** What the reading in this process threw, as the thread would have answered it. */
function refusalOf(err: unknown): AppError {
  if (err instanceof Refusal) return refusal(err.key, err.params);
  return refusal('import.file.badFile');
}

async function readHere(path: string, limits: UploadLimits): Promise<Table> {
  let scanned: Awaited<ReturnType<typeof scan>>;
  try {
    scanned = await scan(path, limits);
  } catch (err) {
    throw refusalOf(err);
  }
  const format: TableFormat = { kind: scanned.kind, encoding: scanned.encoding, delimiter: scanned.delimiter };
  async function forEachBatch(fn: (rows: TableRow[]) => Promise<boolean | undefined> | boolean | undefined) {
    const rows = batches(path, format, limits);
    try {
      for (;;) {
        let next: IteratorResult<TableRow[]>;
        try {
          next = await rows.next();
        } catch (err) {
          throw refusalOf(err);
        }
        if (next.done || (await fn(next.value)) === false) return;
      }
    } finally {
      // Stopped early (or by fn's error): the file is closed before this returns.
      await rows.return(undefined);
    }
  }
  return tableOf(scanned, forEachBatch);
}

function tableOf(scanned: { header: string[]; rowCount: number }, forEachBatch: Table['forEachBatch']): Table {
  return {
    header: scanned.header,
    rowCount: scanned.rowCount,
    forEachBatch,
    forEachRow: (fn) =>
      forEachBatch((rows) => {
        for (const r of rows) if (fn(r.cells, r.line) === false) return false;
        return true;
      }),
  };
}

/** Reads a workbook in the reader thread. */
async function readOnThread(path: string, limits: UploadLimits): Promise<Table> {
  const scanned = await new Promise<Extract<WorkerReply, { type: 'scanned' }>>((resolve, reject) => {
    job({ type: 'scan', path, limits }, (m) => {
      if (m.type === 'scanned') resolve(m);
      else if (m.type === 'error' || m.type === 'crash') reject(failure(m));
    });
  });
  const format: TableFormat = { kind: scanned.kind, encoding: scanned.encoding, delimiter: scanned.delimiter };

  async function forEachBatch(fn: (rows: TableRow[]) => Promise<boolean | undefined> | boolean | undefined) {
    // The batches as they come; the thread sends the next once this one has been taken.
    const queue: (WorkerReply | { type: 'crash'; error: Error })[] = [];
    let wake: (() => void) | null = null;
    const pass = job({ type: 'rows', path, limits, format }, (m) => {
      queue.push(m);
      wake?.();
    });
    for (;;) {
      if (!queue.length) await new Promise<void>((r) => (wake = r));
      wake = null;
      const m = queue.shift();
      if (!m || m.type === 'end') return;
      if (m.type === 'error' || m.type === 'crash') throw failure(m);
      if (m.type !== 'rows') continue;
      let more: boolean | undefined;
      try {
        more = await fn(m.rows);
      } catch (err) {
        pass.post('cancel');
        throw err;
      }
      if (more === false) {
        pass.post('cancel');
        // Wait for the thread to stop the job, so it is done with the file.
        while (!queue.some((x) => x.type === 'end' || x.type === 'error' || x.type === 'crash'))
          await new Promise<void>((r) => (wake = r));
        return;
      }
      pass.post('pull');
    }
  }

  return tableOf(scanned, forEachBatch);
}

/** The first rows of a table, to show what its columns hold. */
export async function sampleRows(table: Table, n: number): Promise<string[][]> {
  const rows: string[][] = [];
  await table.forEachRow((cells) => {
    rows.push(cells);
    return rows.length < n;
  });
  return rows;
}
