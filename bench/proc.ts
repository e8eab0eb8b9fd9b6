/** What /proc says of a process (Linux), for the bench's CPU figures. */
import { readFileSync } from 'node:fs';

/** CPU time (user + system) a process has used, in ms, read from /proc (Linux); 0 elsewhere. */
export function cpuMs(pid: number | string): number {
  const { user, system } = cpuSplitMs(pid);
  return user + system;
}

/** CPU time a process has used in its own code (user) and in the kernel for it (system), in ms; 0 elsewhere. */
export function cpuSplitMs(pid: number | string): { user: number; system: number } {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1] ?? '').split(' ');
    return { user: Number(fields[11]) * 10, system: Number(fields[12]) * 10 };
  } catch {
    return { user: 0, system: 0 };
  }
}
