/**
 * Queue message text: JSON, base64-encoded, because base64 is the Functions host's default
 * `messageEncoding` for queue triggers (host.json extensions.queues) and the one every queue of
 * this app is read with.
 */
export const encodeQueueMessage = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64');

export const decodeQueueMessage = (text: string): unknown =>
  JSON.parse(Buffer.from(text, 'base64').toString('utf8')) as unknown;
