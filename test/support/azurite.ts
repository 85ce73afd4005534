/**
 * Jest helper: one real, in-memory Azurite per test file, started in beforeAll and stopped in
 * afterAll (src/local/launcher/azurite.ts does the work).
 *
 *   const azurite = useAzurite();
 *   it('...', () => BlobServiceClient.fromConnectionString(azurite.connectionString));
 */
import { startAzurite, type RunningAzurite } from '../../src/local/launcher/azurite';

export interface AzuriteHandle {
  /** Valid inside tests (after beforeAll). */
  readonly connectionString: string;
}

export function useAzurite(): AzuriteHandle {
  let running: RunningAzurite | undefined;
  beforeAll(async () => {
    running = await startAzurite({ inMemoryPersistence: true });
  }, 60_000);
  afterAll(async () => {
    await running?.stop();
  });
  return {
    get connectionString() {
      if (!running) throw new Error('Azurite is not running: use the handle inside a test, after beforeAll.');
      return running.connectionString;
    },
  };
}
