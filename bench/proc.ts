/** What /proc says of a process (Linux), for the bench's CPU figures. */
import { readFileSync } from 'node:fs';

/** CPU time (user + system) a process has used, in ms, read from /proc (Linux); 0 elsewhere. */
export function cpuMs(pid: number | string): number {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
