/**
 * A TCP proxy in front of each Azurite endpoint (blob, queue, table) through which the app
 * instances and the chaos clients reach storage, so storage can fail on the wire, where Azure's
 * would, for everyone at once, and be switched at run time:
 *  - `503`: every open connection is cut, and each new one is answered
 *    `503 ServerBusy` (Azure Storage's throttling answer) and closed;
 *  - `drop`: every open connection is cut, and each new one is reset before a byte is read.
 * The SDKs' own retries see these faults, unlike the app's STORAGE_FAULTS switch (a policy
 * inside its pipeline, fixed at start-up). While Azurite itself is restarting, connections to
 * it are refused and the proxy closes the client's side: the same as a refused connection.
 */
import net from 'node:net';

export type ProxyMode = 'pass' | '503' | 'drop';

export interface StorageProxy {
  /** The proxy's ports, in the order of the targets given. */
  ports: number[];
  setMode(mode: ProxyMode): void;
  /** Connections refused or cut by a fault so far. */
  faulted(): number;
  close(): Promise<void>;
}

const BUSY = Buffer.from(
  'HTTP/1.1 503 The server is busy.\r\nx-ms-error-code: ServerBusy\r\nContent-Length: 0\r\nConnection: close\r\n\r\n',
);

export async function startStorageProxy(targets: number[]): Promise<StorageProxy> {
  let mode: ProxyMode = 'pass';
  let faulted = 0;
  const open = new Set<net.Socket>();
  const servers = targets.map((target) =>
    net.createServer((client) => {
      client.on('error', () => undefined);
      if (mode === 'drop') {
        faulted++;
        client.resetAndDestroy();
        return;
      }
      if (mode === '503') {
        faulted++;
        client.once('data', () => client.end(BUSY));
        return;
      }
      const upstream = net.connect(target, '127.0.0.1');
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.pipe(upstream).pipe(client);
      open.add(client);
      client.on('close', () => open.delete(client));
    }),
  );
  const ports = await Promise.all(
    servers.map(
      (server) =>
        new Promise<number>((resolve) =>
          server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)),
        ),
    ),
  );
  return {
    ports,
    setMode(next) {
      mode = next;
      if (next === 'pass') return;
      for (const socket of open) {
        faulted++;
        socket.resetAndDestroy();
      }
      open.clear();
    },
    faulted: () => faulted,
    async close() {
      for (const socket of open) socket.destroy();
      await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    },
  };
}
