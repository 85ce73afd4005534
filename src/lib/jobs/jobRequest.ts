/**
 * Validation of `POST /api/jobs` bodies, at the boundary. Two kinds:
 *  - `{ container, prefix?, maxFailures?, dryRun?, pageSize?, model? }`: every blob under the prefix;
 *  - `{ upload: true, total, maxFailures?, model? }`: `total` images the client will upload with
 *    `POST /api/uploads { ..., jobId }` (what `classify submit` uses).
 */
import { storageNames } from '../storage/names';
import { badRequest } from '../errors';
import { parseNumber } from '../numbers';
import { parseModelId } from '../model/manifest';

export type JobRequest =
  | {
      kind: 'listing';
      container: string;
      prefix: string;
      maxFailures?: number;
      dryRun: boolean;
      pageSize: number;
      model?: string;
    }
  | { kind: 'upload'; total: number; maxFailures?: number; model?: string };

export const DEFAULT_PAGE_SIZE = 1000;
const MAX_PAGE_SIZE = 5000; // the Blob service's largest listing page
const MAX_UPLOAD_TOTAL = 1_000_000;
// https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-containers--blobs--and-metadata
const CONTAINER_NAME = /^(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*$/;

const bad = badRequest;

/** An optional JSON integer (a number, not its text). */
const wholeNumber = (value: unknown, name: string, min: number, max?: number): number | undefined =>
  value === undefined ? undefined : parseNumber(value, `"${name}"`, { min, max, text: false }, bad);

export function parseJobRequest(body: unknown): JobRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw bad('Send a JSON object: { "container", "prefix" } or { "upload": true, "total" }.');
  const b = body as Record<string, unknown>;
  const maxFailures = wholeNumber(b.maxFailures, 'maxFailures', 0);
  const model = parseModelId(b.model);
  if (b.upload !== undefined) {
    if (b.upload !== true) throw bad('"upload" must be true when given.');
    const total = wholeNumber(b.total, 'total', 0, MAX_UPLOAD_TOTAL);
    if (total === undefined) throw bad('An upload job needs "total": how many images will be uploaded.');
    return { kind: 'upload', total, maxFailures, model };
  }
  if (typeof b.container !== 'string' || !CONTAINER_NAME.test(b.container))
    throw bad(
      `"container" must be a container name (3-63 lower-case letters, digits and single hyphens), got ${JSON.stringify(b.container)?.slice(0, 80)}.`,
    );
  if (isAppContainer(b.container))
    throw bad(
      `"${b.container}" is one of the app's own containers (results, uploads, azure-webjobs-*); a job classifies images in a container of yours, such as "images".`,
    );
  if (b.prefix !== undefined && (typeof b.prefix !== 'string' || b.prefix.length > 1024))
    throw bad('"prefix" must be a string of at most 1024 characters (a folder path such as "holiday/").');
  if (b.dryRun !== undefined && typeof b.dryRun !== 'boolean') throw bad('"dryRun" must be true or false.');
  return {
    kind: 'listing',
    container: b.container,
    prefix: b.prefix ?? '',
    maxFailures,
    dryRun: b.dryRun === true,
    pageSize: wholeNumber(b.pageSize, 'pageSize', 1, MAX_PAGE_SIZE) ?? DEFAULT_PAGE_SIZE,
    model,
  };
}

/** Containers the app and its host write to: a job over them would classify its own outputs (or secrets). */
const isAppContainer = (name: string): boolean =>
  name === storageNames.resultsContainer ||
  name === storageNames.uploadsContainer ||
  name.startsWith('azure-webjobs-');
