// Runs in a child process of userDelegationSas.test.ts, started with NODE_EXTRA_CA_CERTS naming
// the test's own certificate (jest's sandbox cannot change what Node's TLS trusts). Signs upload
// URLs the way the app does in Azure, tries them, and prints what happened as one JSON line.
'use strict';
const { createStorageClients } = require('../../../dist/src/lib/storage/clients.js');
const { UploadSigner } = require('../../../dist/src/lib/storage/uploadSas.js');

const [blobPort, queuePort, tablePort, tenant, objectId] = process.argv.slice(2);
const endpoint = (port) => `https://127.0.0.1:${port}/devstoreaccount1`;

/** A bearer token shaped as Entra ID issues them for storage. */
const identity = {
  getToken: async () => {
    const now = Math.floor(Date.now() / 1000);
    const part = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = {
      aud: 'https://storage.azure.com',
      iss: `https://sts.windows.net/${tenant}/`,
      iat: now - 60,
      nbf: now - 60,
      exp: now + 3600,
      oid: objectId,
      tid: tenant,
    };
    return {
      token: `${part({ alg: 'RS256', typ: 'JWT' })}.${part(claims)}.c2lnbmF0dXJl`,
      expiresOnTimestamp: (now + 3600) * 1000,
    };
  },
};

const put = async (url, body = 'image bytes') =>
  (
    await fetch(url, {
      method: 'PUT',
      headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': 'image/png' },
      body,
    })
  ).status;

(async () => {
  const storage = createStorageClients(
    {
      AzureWebJobsStorage__blobServiceUri: endpoint(blobPort),
      AzureWebJobsStorage__queueServiceUri: endpoint(queuePort),
      AzureWebJobsStorage__tableServiceUri: endpoint(tablePort),
    },
    { credential: identity },
  );
  await storage.blobs.getContainerClient('uploads').createIfNotExists(); // with the token, as the app's identity
  let keyRequests = 0;
  const getKey = storage.blobs.getUserDelegationKey.bind(storage.blobs);
  storage.blobs.getUserDelegationKey = (...args) => (keyRequests++, getKey(...args));
  const signer = new UploadSigner(storage);
  const { url, expiresOn } = await signer.sign('uploads', 'u/abc.png', { expiresInMinutes: 10 });
  const forged = new URL(url);
  forged.pathname = forged.pathname.replace('abc.png', 'forged.png');
  forged.searchParams.set('sig', Buffer.alloc(32).toString('base64'));
  const out = {
    sharedKey: storage.sharedKey !== undefined,
    url,
    expiresOn: expiresOn.toISOString(),
    create: await put(url),
    overwrite: await put(url, 'overwrite'),
    read: (await fetch(url)).status,
    otherName: await put(url.replace('/u/abc.png?', '/u/other.png?')),
    forged: await put(forged.toString()),
    second: await put((await signer.sign('uploads', 'u/def.png')).url),
    keyRequests,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
})().catch((err) => {
  process.stdout.write(`${JSON.stringify({ error: String(err && err.stack) })}\n`);
  process.exit(1);
});
