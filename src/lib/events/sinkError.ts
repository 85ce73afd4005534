/** A sink that did not take an event: retried later when `retryable`, else put aside as poison at once. */
export class SinkError extends Error {
  readonly retryable: boolean;
  constructor(message: string, options: { retryable: boolean }) {
    super(message);
    this.name = 'SinkError';
    this.retryable = options.retryable;
  }
}
