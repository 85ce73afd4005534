/**
 * Preloaded (node -r) into a measured child process: reports on exit the peak memory of the
 * process and its decoder process together (their Pss, sampled every 20 ms from their own
 * /proc entries, since the decoder is gone by then), or the process's own peak if that is higher.
 */
import { treeRssKb } from './procTree';

let peakKb = 0;
setInterval(() => (peakKb = Math.max(peakKb, treeRssKb(process.pid))), 20).unref();
process.on('exit', () =>
  process.stderr.write(`\nmaxRssKb=${Math.max(peakKb, process.resourceUsage().maxRSS)}\n`),
);
