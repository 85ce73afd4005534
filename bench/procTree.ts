/**
 * CPU and memory of a process together with its descendants, from /proc (proc(5)): the app
 * decodes in a child process of its own (src/lib/decode/decoderProcess.ts), whose work is the
 * app's as much as its main process's.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>[/task/<tid>]/stat after the command name: [0] state, [1] ppid, [11] utime, [12] stime. */
function statFields(pid: number, tid?: number): string[] | undefined {
  const file = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  try {
    return readFileSync(file, 'utf8').split(') ')[1].split(' ');
  } catch {
    return undefined; // it exited meanwhile
  }
}

/** `pid` and every live process below it. */
export function processTree(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = Number(statFields(Number(name))?.[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid)!.push(Number(name));
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(children.get(tree[i]) ?? []));
  return tree;
}

/** utime + stime of a process, or of one of its threads, in ms (clock ticks of 10 ms on Linux). */
export function cpuMsOf(pid: number, tid?: number): number {
  const fields = statFields(pid, tid);
  return fields ? (Number(fields[11]) + Number(fields[12])) * 10 : 0;
}

/** CPU ms of `pid` and its live descendants. */
export const treeCpuMs = (pid: number): number => processTree(pid).reduce((sum, p) => sum + cpuMsOf(p), 0);

function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** Resident set of `pid` and its live descendants now, in kB. */
export const treeRssKb = (pid: number): number =>
  processTree(pid).reduce((sum, p) => sum + statusKb(p, 'VmRSS'), 0);

/** The sum of each live process's own high-water mark (VmHWM), in kB: at least the tree's peak, at most their sum. */
export const treePeakRssKb = (pid: number): number =>
  processTree(pid).reduce((sum, p) => sum + statusKb(p, 'VmHWM'), 0);
