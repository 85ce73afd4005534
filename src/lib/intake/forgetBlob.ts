/**
 * A blob deleted from the drop folder, from its BlobDeleted event: its result goes too, from
 * everywhere it is stored (row, search entries, content-index memory, JSON blob), unless the
 * name has been written again since (the row then describes a newer version and stays).
 *
 * The order: the row's search entries and content memory, then the row (at the ETag read),
 * then the JSON blob, read back to find what it holds and removed with its search entries and
 * memory. A worker may be storing this very result meanwhile: it writes the terminal row, then
 * the JSON blob, search entries and memory, then reads the row again and removes what it wrote
 * if the row is gone (processBlob's settle). So every interleaving ends clean: a worker whose
 * read comes after the row went here removes its own writes; one whose read came before had
 * written everything by then, so the JSON blob read here after the row went finds it all.
 * A thrown error makes Event Grid deliver the event again, and every step can be repeated: a
 * crash before the row went is redone whole; after it, a redelivery finds no row and finishes
 * with the JSON blob, which still names what it holds (the search entries of the row's own
 * result went before the row, so a JSON blob rewritten meanwhile by a newer version loses
 * nothing).
 */
import { ClassifierError } from '../errors';
import { blobResultId } from '../results/ids';
import type { ResultRecord } from '../results/resultStore';
import { removeDeadResultBlob } from '../retention/deleteResult';
import type { Services } from '../services';
import { storageNames } from '../storage/names';

/** What a BlobDeleted event says (functions/converters turn the event into this). */
export interface BlobDeleted {
  container: string;
  name: string;
  /** Orders the deletion among the writes of the same name. */
  sequencer: string;
  /** The event's id: the same across Event Grid's redeliveries of it. */
  eventId: string;
  eventTime: string;
}

export type ForgetOutcome =
  /** The result of the deleted blob was removed. */
  | 'deleted'
  /** No row (never classified, or removed by an earlier delivery); any leftover JSON blob was removed. */
  | 'absent'
  /** The name was written again after this deletion: the newer version's result stays. */
  | 'kept';

const ATTEMPTS = 5;

export async function forgetBlob(
  services: Pick<Services, 'results' | 'search' | 'content'>,
  deleted: BlobDeleted,
): Promise<{ id: string; outcome: ForgetOutcome }> {
  if (deleted.container !== storageNames.imagesContainer) {
    // Uploads are not subscribed to deletions: retention deletes their blobs, not their results.
    throw new ClassifierError(
      'bad_request',
      `Only drop-folder (${storageNames.imagesContainer}) deletions remove results, not ${deleted.container}/${deleted.name}.`,
    );
  }
  const id = blobResultId(deleted.container, deleted.name);
  const dead = { sequencer: deleted.sequencer };
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const record = await services.results.get(id);
    if (record && isNewerThan(record, deleted.sequencer)) {
      // A JSON blob of a version before the deletion may still be there until the newer one's lands.
      await removeDeadResultBlob(services, deleted, dead, { aliveName: true });
      return { id, outcome: 'kept' };
    }
    if (record) {
      await services.search.remove([record.result]);
      await services.content.forget(record.result);
      // At the ETag read: a row that changed meanwhile (a worker's terminal write) is read again,
      // and its own search entries removed before it goes.
      if (!(await services.results.delete(id, { etag: record.etag }))) continue;
    }
    await removeDeadResultBlob(services, deleted, dead);
    return { id, outcome: record ? 'deleted' : 'absent' };
  }
  const message = `Result ${id} kept changing while its blob's deletion was handled; Event Grid delivers it again.`;
  throw new ClassifierError('internal_error', message, { retryable: true });
}

/** The row describes a write of the name later than the deletion (a row without a sequencer is older). */
function isNewerThan(record: ResultRecord, sequencer: string): boolean {
  const theirs = record.blob?.sequencer;
  return theirs !== undefined && theirs > sequencer;
}
