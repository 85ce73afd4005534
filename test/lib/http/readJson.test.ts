/** JSON bodies through the one streaming reader, with plain Fetch-API objects (no Functions runtime). */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { readJson } from '../../../src/lib/http/responses';

const input = (body: string, headers: Record<string, string> = {}) => ({
  url: 'http://localhost/api/x',
  query: new URLSearchParams(),
  headers: new Headers(headers),
  body: new Blob([body]).stream(),
});

describe('readJson', () => {
  it('parses a JSON body', async () => {
    expect(await readJson(input('{"a":1}'))).toEqual({ a: 1 });
  });

  it('refuses a body whose Content-Length is over the cap before reading it', async () => {
    await expect(readJson(input('{}', { 'content-length': '100000' }), 1000)).rejects.toMatchObject({
      code: 'file_too_large',
      message: expect.stringMatching(/at most 1000 bytes but Content-Length says 100000/),
    });
  });

  it('stops reading a body that sends more than the cap without saying so', async () => {
    await expect(readJson(input(`"${'x'.repeat(5000)}"`), 1000)).rejects.toMatchObject({
      code: 'file_too_large',
      message: expect.stringMatching(/more was sent/),
    });
  });

  it('answers bad_request for malformed JSON', async () => {
    await expect(readJson(input('{nope'))).rejects.toMatchObject({ code: 'bad_request' });
  });
});

describe('the functions/lib line', () => {
  it('no module under src/lib imports @azure/functions', () => {
    const root = path.resolve(__dirname, '../../../src/lib');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((f) => {
        const full = path.join(dir, f);
        return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
      });
    const importing = files(root).filter((f) =>
      /from\s+['"]@azure\/functions['"]/.test(readFileSync(f, 'utf8')),
    );
    expect(importing.map((f) => path.relative(root, f))).toEqual([]);
  });
});
