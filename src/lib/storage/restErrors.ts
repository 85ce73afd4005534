/**
 * Expected storage answers are handled by status code (404 missing, 409 exists, 412 lost an
 * ETag race); everything else is rethrown where it happened.
 */
export function isStatus(err: unknown, status: number): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === status;
}
