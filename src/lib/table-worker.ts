/**
 * The reader thread of XLSX workbooks (see table-reader.ts): it runs the jobs the web process
 * posts, one file at a time, and sends a file's rows a batch at a time, the next once the web
 * process has taken the last. A workbook that takes more memory than the thread may ends the
 * thread, not the web process.
 */
import { parentPort } from 'node:worker_threads';
import { Refusal } from './csv.ts';
import { batches, scan } from './table-parse.ts';
import type { WorkerReply, WorkerRequest } from './table-reader.ts';

const port = parentPort;
if (!port) throw new Error('table-worker runs in a worker thread');
const send = (m: WorkerReply) => port.postMessage(m);

/** Waiting batches: a job's next batch is sent when the main thread has taken the last. */
const pulls = new Map<number, () => void>();
const cancelled = new Set<number>();

port.on('message', (m: WorkerRequest) => {
  if (m.type === 'pull') {
    const go = pulls.get(m.job);
    pulls.delete(m.job);
    go?.();
  } else if (m.type === 'cancel') {
    cancelled.add(m.job);
    const go = pulls.get(m.job);
    pulls.delete(m.job);
    go?.();
  } else if (m.type === 'scan' || m.type === 'rows') {
    run(m).catch((err) => {
      if (err instanceof Refusal) send({ type: 'error', job: m.job, key: err.key, params: err.params });
      else send({ type: 'error', job: m.job, key: 'import.file.badFile', params: {}, detail: String(err) });
    });
  }
});

async function run(m: Extract<WorkerRequest, { type: 'scan' | 'rows' }>) {
  try {
    if (m.type === 'scan') {
      const format = await scan(m.path, m.limits);
      send({ type: 'scanned', job: m.job, ...format });
      return;
    }
    for await (const rows of batches(m.path, m.format, m.limits)) {
      if (cancelled.has(m.job)) break;
      const next = new Promise<void>((resolve) => pulls.set(m.job, resolve));
      send({ type: 'rows', job: m.job, rows });
      await next;
      if (cancelled.has(m.job)) break;
    }
    send({ type: 'end', job: m.job });
  } finally {
    cancelled.delete(m.job);
    pulls.delete(m.job);
  }
}
