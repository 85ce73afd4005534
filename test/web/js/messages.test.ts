/** What the page says of a file and when a retry can help (web/js/messages.js), without a browser. */
import { humanError, retryKind, statusText } from '../../../web/js/messages.js';

it("says what to do next for the contract's codes and the page's own, and falls back to the server's words", () => {
  expect(humanError({ code: 'corrupt_image' })).toMatch(/damaged or truncated/);
  expect(humanError({ code: 'interrupted' })).toMatch(/reloaded before this file finished/);
  expect(humanError({ code: 'some_new_code', message: 'The server says why.' })).toBe('The server says why.');
  expect(humanError({ code: 'some_new_code' })).toMatch(/Something went wrong on the server/);
});

it('offers a retry only where it can help: upload again with the file at hand, or ask again after a timeout', () => {
  const failed = (code: string, statusUrl?: string) => ({ phase: 'failed', error: { code }, statusUrl });
  expect(retryKind(failed('network'), true)).toBe('upload');
  expect(retryKind(failed('network'), false)).toBe(''); // after a reload the file is gone
  expect(retryKind(failed('corrupt_image'), true)).toBe(''); // it would fail again
  expect(retryKind(failed('timeout', 'http://x/api/results/1'), false)).toBe('poll');
  expect(retryKind(failed('timeout'), true)).toBe('');
  expect(retryKind({ phase: 'done' }, true)).toBe('');
});

it('gives each phase a short status, with upload progress and the server-side state', () => {
  expect(statusText({ phase: 'queued' })).toBe('Waiting to upload…');
  expect(statusText({ phase: 'uploading', progress: 0.427 })).toBe('Uploading 42 %');
  expect(statusText({ phase: 'polling' })).toBe('Uploaded, waiting…');
  expect(statusText({ phase: 'polling', result: { status: 'queued' } })).toBe('Queued…');
  expect(statusText({ phase: 'polling', result: { status: 'processing' } })).toBe('Classifying…');
  expect(statusText({ phase: 'done' })).toBe('Done');
  expect(statusText({ phase: 'failed' })).toBe('Failed');
});
