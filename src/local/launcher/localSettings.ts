/**
 * local.settings.json as Core Tools reads it for `func start`, so `npm start` honours the same
 * file: each of `Values` becomes an environment variable unless the environment already has
 * it (the environment wins, with the same notice Core Tools prints), an empty value sets
 * nothing (.NET's SetEnvironmentVariable deletes on empty), and `Host.LocalHttpPort` is the
 * port. An encrypted file (`IsEncrypted: true`, from `func settings encrypt`) cannot be read
 * here: it stops the start with what to do.
 */
import { readFileSync } from 'node:fs';

export interface LocalSettingsOutcome {
  /** The file read, or undefined when there is none. */
  file?: string;
  applied: string[];
  /** Names already in the environment, left as they were. */
  skipped: string[];
  port?: number;
}

export function applyLocalSettings(
  file: string,
  env: Record<string, string | undefined> = process.env,
): LocalSettingsOutcome {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { applied: [], skipped: [] };
    throw err;
  }
  let settings: {
    IsEncrypted?: boolean;
    Values?: Record<string, unknown>;
    Host?: { LocalHttpPort?: unknown };
  };
  try {
    settings = JSON.parse(text.replace(/^\uFEFF/, '')) as typeof settings;
  } catch (err) {
    throw new Error(`${file} is not valid JSON (${(err as Error).message}); fix it or remove it.`, {
      cause: err,
    });
  }
  if (settings.IsEncrypted)
    throw new Error(
      `${file} is encrypted (IsEncrypted: true); run "func settings decrypt", or set the values in the environment.`,
    );
  const outcome: LocalSettingsOutcome = { file, applied: [], skipped: [] };
  for (const [name, value] of Object.entries(settings.Values ?? {})) {
    if (value === null || value === undefined || value === '') continue;
    if (env[name] !== undefined && env[name] !== '') {
      outcome.skipped.push(name);
      continue;
    }
    // Core Tools takes strings; a number or boolean written without quotes reads as its text.
    env[name] = typeof value === 'string' ? value : JSON.stringify(value);
    outcome.applied.push(name);
  }
  const port = settings.Host?.LocalHttpPort;
  if (typeof port === 'number' && Number.isInteger(port) && port >= 0 && port <= 65535) outcome.port = port;
  return outcome;
}
