/**
 * What follows once results are stored (row, JSON blob, job count): the search index, then the
 * events, so a subscriber that searches on an event finds its result. Called again for results
 * a redelivery finds already stored: both are idempotent (upserts, the events' fixed ids).
 */
import type { ClassificationResult } from '../results/result';
import type { Services } from '../services';

export async function announceFinished(
  services: Pick<Services, 'search' | 'events'>,
  results: readonly ClassificationResult[],
): Promise<void> {
  await services.search.add(results);
  await services.events.resultsCompleted(results);
}
