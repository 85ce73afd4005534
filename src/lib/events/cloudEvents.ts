/**
 * The events the app sends, as CloudEvents 1.0 (structured JSON). An event's `id` is derived
 * from the fact it reports, never random, so every redelivery of the same fact carries the
 * same id and a subscriber drops duplicates by it: a job completes once; a result completes
 * once per classification (a rewritten drop-folder blob, or a replay that turns a failure into
 * a success, is a new fact with a new `completedAt`).
 */
import type { JobView } from '../jobs/job';
import type { ClassificationResult } from '../results/result';

export const JOB_COMPLETED = 'ImageClassifier.JobCompleted';
export const RESULT_COMPLETED = 'ImageClassifier.ResultCompleted';

export interface CloudEvent<T = unknown> {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: T;
}

/** `source`: the app's URL when it is known, else a name that is the same everywhere. */
const sourceOf = (publicUrl: string | undefined): string => publicUrl ?? '/image-classifier';

export function jobCompletedEvent(view: JobView, publicUrl: string | undefined): CloudEvent<JobView> {
  return {
    specversion: '1.0',
    id: `job/${view.id}/completed`,
    source: sourceOf(publicUrl),
    type: JOB_COMPLETED,
    subject: `jobs/${view.id}`,
    time: view.completedAt ?? view.startedAt,
    datacontenttype: 'application/json',
    data: view,
  };
}

export function resultCompletedEvent(
  result: ClassificationResult,
  publicUrl: string | undefined,
): CloudEvent<ClassificationResult> {
  const time = result.completedAt ?? result.createdAt;
  return {
    specversion: '1.0',
    id: `result/${result.id}/${time}`,
    source: sourceOf(publicUrl),
    type: RESULT_COMPLETED,
    subject: `results/${result.id}`,
    time,
    datacontenttype: 'application/json',
    data: result,
  };
}
