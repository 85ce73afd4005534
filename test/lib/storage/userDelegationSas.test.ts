/**
 * Upload URLs as Azure signs them: with a user delegation key from the app's identity (shared
 * keys are off there), against an Azurite that speaks HTTPS and OAuth and verifies such SAS
 * itself. The URL must create that one blob and nothing else: no overwrite, no read, no other
 * name; a forged signature is refused. The token is a well-formed JWT, which Azurite's "basic"
 * OAuth accepts (it checks issuer, audience and times, not signatures), as Entra ID's would be.
 * The requests run in a child process that trusts the test's own certificate.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startAzurite, type RunningAzurite } from '../../../src/local/launcher/azurite';
import { SAS_VERSION } from '../../../src/lib/storage/uploadSas';

const TENANT = 'ab1f708d-50f6-404c-a006-d71b2ac7a606';
const OBJECT_ID = '6f2c1c1e-0000-4000-8000-000000000001';

let azurite: RunningAzurite;
let cert: string;
beforeAll(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'azurite-tls-'));
  cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1'].concat([
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ]),
    { stdio: 'ignore' },
  );
  azurite = await startAzurite({ inMemoryPersistence: true, oauth: { cert, key } });
}, 60_000);
afterAll(() => azurite?.stop());

it('signs with a user delegation key from the identity: create that one blob, nothing else', async () => {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [path.join(__dirname, 'userDelegationSas.child.js')].concat(
      [azurite.blobPort, azurite.queuePort, azurite.tablePort].map(String),
      [TENANT, OBJECT_ID],
    ),
    { env: { ...process.env, NODE_EXTRA_CA_CERTS: cert } },
  ).catch((err: { stdout?: string; message?: string }) => ({
    stdout: err.stdout ?? JSON.stringify({ error: err.message }),
  }));
  const out = JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>;
  expect(out.error).toBeUndefined();
  const q = new URL(out.url as string).searchParams;
  expect(out.url).toMatch(
    new RegExp(`^https://127\\.0\\.0\\.1:${azurite.blobPort}/devstoreaccount1/uploads/u/abc\\.png\\?`),
  );
  expect(
    Object.fromEntries(['sv', 'sr', 'sp', 'spr', 'skoid', 'sktid', 'sks'].map((k) => [k, q.get(k)])),
  ).toEqual({
    sv: SAS_VERSION,
    sr: 'b',
    sp: 'c',
    spr: 'https',
    skoid: OBJECT_ID,
    sktid: TENANT,
    sks: 'b',
  });
  const expires = Date.parse(out.expiresOn as string);
  expect(Date.parse(q.get('se')!)).toBe(Math.floor(expires / 1000) * 1000);
  expect(expires - Date.now()).toBeLessThanOrEqual(10 * 60 * 1000);
  expect(out).toMatchObject({
    sharedKey: false, // the Azure path: no account key anywhere
    create: 201,
    overwrite: 403, // create only
    read: 403,
    otherName: 403, // that name only
    forged: 403,
    second: 201,
    keyRequests: 1, // the key is kept for the next URLs
  });
}, 60_000);
