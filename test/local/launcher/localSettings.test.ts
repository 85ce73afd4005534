/** npm start reads local.settings.json as Core Tools does for func start. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { applyLocalSettings } from '../../../src/local/launcher/localSettings';

const dir = mkdtempSync(path.join(os.tmpdir(), 'local-settings-'));
const file = (name: string, content: unknown): string => {
  const f = path.join(dir, name);
  writeFileSync(f, typeof content === 'string' ? content : JSON.stringify(content));
  return f;
};

describe('local.settings.json', () => {
  it('sets each value the environment does not have; the environment wins, empty values set nothing', () => {
    const env: Record<string, string | undefined> = { CLASSIFIER_MODEL: 'from-env' };
    const f = file('a.json', {
      IsEncrypted: false,
      Values: {
        AzureWebJobsStorage: 'UseDevelopmentStorage=true',
        CLASSIFIER_MODEL: 'from-file',
        MODEL_CACHE_DIR: '',
        RETENTION_DAYS_RESULTS: 3,
      },
      Host: { LocalHttpPort: 7072, CORS: '*' },
    });
    expect(applyLocalSettings(f, env)).toEqual({
      file: f,
      applied: ['AzureWebJobsStorage', 'RETENTION_DAYS_RESULTS'],
      skipped: ['CLASSIFIER_MODEL'],
      port: 7072,
    });
    expect(env).toEqual({
      CLASSIFIER_MODEL: 'from-env',
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      RETENTION_DAYS_RESULTS: '3',
    });
  });

  it('is optional', () => {
    expect(applyLocalSettings(path.join(dir, 'missing.json'), {})).toEqual({ applied: [], skipped: [] });
  });

  it('reads a file with a byte-order mark, as editors on Windows write it', () => {
    const env: Record<string, string | undefined> = {};
    applyLocalSettings(file('bom.json', `\uFEFF${JSON.stringify({ Values: { A: 'b' } })}`), env);
    expect(env).toEqual({ A: 'b' });
  });

  it.each([
    ['not JSON', '{ "Values": ', /is not valid JSON.*fix it or remove it/],
    ['encrypted', { IsEncrypted: true, Values: { A: 'xyz' } }, /func settings decrypt/],
  ])('stops with what to do when the file is %s', (_what, content, message) => {
    expect(() => applyLocalSettings(file('bad.json', content), {})).toThrow(message);
  });
});
