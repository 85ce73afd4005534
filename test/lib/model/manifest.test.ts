import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadManifest } from '../../../src/lib/model/manifest';
import { MODELS_DIR } from '../../../src/lib/paths';

describe('loadManifest', () => {
  it('loads the default model with its 1000 ImageNet labels', () => {
    const m = loadManifest('mobilenetv2-12-int8');
    expect(m).toMatchObject({
      id: 'mobilenetv2-12-int8',
      file: 'mobilenetv2-12-int8.onnx',
      input: { name: 'input' },
    });
    expect(m.labelNames).toHaveLength(1000);
    expect(m.labelNames[281]).toBe('tabby, tabby cat');
  });

  it('loads a second model from a manifest path, with no code change', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
    const other = {
      ...loadManifest('mobilenetv2-12-int8'),
      id: 'other',
      labels: path.join(MODELS_DIR, 'labels/imagenet.json'),
    };
    writeFileSync(path.join(dir, 'other.json'), JSON.stringify(other));
    expect(loadManifest(path.join(dir, 'other.json')).id).toBe('other');
  });

  it('names an unknown model id and where it looked', () => {
    expect(() => loadManifest('no-such-model')).toThrow(/No model manifest "no-such-model"/);
  });

  it('lists what is wrong with an invalid manifest', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'manifest-'));
    writeFileSync(path.join(dir, 'bad.json'), JSON.stringify({ id: 'bad', sha256: 'xyz', int8: 'fast' }));
    expect(() => loadManifest(path.join(dir, 'bad.json'))).toThrow(
      /"file" must be a non-empty string.*"sha256" must be 64.*"int8" must be one of u8-weights, exact-kernels, as-published/,
    );
  });
});
