/** `classify submit`: placeholder until the batch jobs API exists. */
import { UsageError } from './usageError';

export async function submitCommand(_argv: string[]): Promise<number> {
  throw new UsageError('"classify submit" needs the batch jobs API, which this version does not have yet.');
}
