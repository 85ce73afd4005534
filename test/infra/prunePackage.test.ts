/**
 * The deployment package's diet (scripts/prune-package.mjs, run by `npm run build:azure` in the
 * remote build): on a node_modules laid out like the real one, onnxruntime-node keeps only this
 * machine's binaries, source maps and type declarations go, and everything that runs stays.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

it("keeps only this platform's ONNX Runtime binaries and what Node loads", () => {
  const modules = path.join(mkdtempSync(path.join(os.tmpdir(), 'prune-')), 'node_modules');
  const files = [
    'onnxruntime-node/bin/napi-v6/linux/x64/onnxruntime_binding.node',
    'onnxruntime-node/bin/napi-v6/linux/arm64/onnxruntime_binding.node',
    'onnxruntime-node/bin/napi-v6/darwin/arm64/onnxruntime_binding.node',
    'onnxruntime-node/bin/napi-v6/win32/x64/onnxruntime_binding.node',
    `onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime.so.1`,
    '@azure/storage-blob/dist/commonjs/index.js',
    '@azure/storage-blob/dist/commonjs/index.js.map',
    '@azure/storage-blob/dist/commonjs/index.d.ts',
    '@azure/storage-blob/package.json',
    'sharp/lib/index.d.ts',
    'sharp/lib/index.js',
  ];
  for (const f of files) {
    mkdirSync(path.dirname(path.join(modules, f)), { recursive: true });
    writeFileSync(path.join(modules, f), 'x'.repeat(1000));
  }
  const out = execFileSync(process.execPath, [path.join(ROOT, 'scripts/prune-package.mjs'), modules], {
    encoding: 'utf8',
  });
  expect(out).toMatch(/MB removed from/);
  const left = files.filter((f) => existsSync(path.join(modules, f)));
  expect(left.sort()).toEqual(
    [
      `onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/onnxruntime_binding.node`,
      `onnxruntime-node/bin/napi-v6/${process.platform}/${process.arch}/libonnxruntime.so.1`,
      '@azure/storage-blob/dist/commonjs/index.js',
      '@azure/storage-blob/package.json',
      'sharp/lib/index.js',
    ]
      .filter((f, i, all) => all.indexOf(f) === i && files.includes(f))
      .sort(),
  );
});

it('runs in the remote build (build:azure) and ships in the package', () => {
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    scripts: Record<string, string>;
  };
  expect(pkg.scripts.build).toMatch(/^tsc /); // Oryx runs npm run build, then npm run build:azure
  expect(pkg.scripts['build:azure']).toBe('node scripts/prune-package.mjs');
  const funcignore = readFileSync(path.join(ROOT, '.funcignore'), 'utf8');
  expect(funcignore).toMatch(/^scripts\/\*$/m);
  expect(funcignore).toMatch(/^!scripts\/prune-package\.mjs$/m);
});
