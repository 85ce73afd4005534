/** Preloaded (node -r) into a measured child process: reports its peak RSS on exit. */
process.on('exit', () => process.stderr.write(`\nmaxRssKb=${process.resourceUsage().maxRSS}\n`));
