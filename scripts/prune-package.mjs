#!/usr/bin/env node
// The deployment package's diet: `npm run build:azure`, which the remote build (Oryx) runs after
// `npm install` and `npm run build`, drops from node_modules what cannot run on the instance
// or is never loaded there: onnxruntime-node's binaries for other platforms (macOS and
// Windows are 220 of its 288 MB), source maps and type declarations. Flex Consumption downloads
// and mounts the package on every cold start, so every megabyte left out is start-up time saved.
// Usage: node scripts/prune-package.mjs [node_modules dir]   (default: ./node_modules)
import { readdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(process.argv[2] ?? 'node_modules');
const NEVER_LOADED = /\.(map|d\.ts|d\.mts|d\.cts)$/;

function sizeOf(p) {
  const st = statSync(p);
  if (!st.isDirectory()) return st.size;
  return readdirSync(p).reduce((sum, name) => sum + sizeOf(path.join(p, name)), 0);
}

let freed = 0;
function remove(p) {
  freed += sizeOf(p);
  rmSync(p, { recursive: true, force: true });
}

// onnxruntime-node/bin/napi-v6/<platform>/<arch>: keep this machine's only.
const ortBin = path.join(root, 'onnxruntime-node', 'bin', 'napi-v6');
for (const platform of safeList(ortBin)) {
  for (const arch of safeList(path.join(ortBin, platform))) {
    if (platform !== process.platform || arch !== process.arch) remove(path.join(ortBin, platform, arch));
  }
}

(function walk(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(p);
    else if (NEVER_LOADED.test(entry.name)) remove(p);
  }
})(root);

function safeList(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

console.log(
  `prune-package: ${(freed / 1048576).toFixed(0)} MB removed from ${root}; ${(sizeOf(root) / 1048576).toFixed(0)} MB left.`,
);
