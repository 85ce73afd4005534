/**
 * CPU and memory of a process together with its descendants, from /proc (proc(5)): the app
 * decodes in a child process of its own (src/lib/decode/decoderProcess.ts), whose work is the
 * app's as much as its main process's.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The fields of /proc/<pid>[/task/<tid>]/stat after the command name: [0] state, [11] utime, [12] stime, [13] cutime, [14] cstime. */
function statFields(pid: number, tid?: number): string[] | undefined {
  const file = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`;
  try {
    const stat = readFileSync(file, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' '); // the name may hold ") "
  } catch {
    return undefined; // it exited meanwhile
  }
}

/** The live children of `pid`: each of its threads lists those it started (proc(5), task/<tid>/children). */
function childrenOf(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
          .split(' ')
          .filter(Boolean)
          .map(Number);
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

/** `pid` and every live process below it. */
export function processTree(pid: number): number[] {
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...childrenOf(tree[i]));
  return tree;
}

/** utime + stime of a process, or of one of its threads, in ms (clock ticks of 10 ms on Linux). */
export function cpuMsOf(pid: number, tid?: number): number {
  const fields = statFields(pid, tid);
  return fields ? (Number(fields[11]) + Number(fields[12])) * 10 : 0;
}

/**
 * CPU ms of `pid` and its descendants: the live ones' own, and the reaped ones' (a decoder
 * process killed and waited for), which the kernel adds to its parent's cutime and cstime.
 */
export const treeCpuMs = (pid: number): number =>
  processTree(pid).reduce((sum, p) => {
    const fields = statFields(p);
    return fields ? sum + fields.slice(11, 15).reduce((t, f) => t + Number(f), 0) * 10 : sum;
  }, 0);

function kbField(file: string, field: string): number {
  try {
    return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(file, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0; // it exited meanwhile
  }
}

/**
 * Memory of `pid` and its live descendants now, in kB: the sum of their proportional set sizes
 * (Pss), so pages the decoder shares with its parent (the Node binary, libvips) count once.
 */
export const treeRssKb = (pid: number): number =>
  processTree(pid).reduce((sum, p) => sum + kbField(`/proc/${p}/smaps_rollup`, 'Pss'), 0);
