/** The page's polling backoff (web/js/api.js), without a browser. */
import { pollDelay } from '../../../web/js/api.js';

it('polls fast at first, eases off, and never waits more than 3 s', () => {
  const delays = Array.from({ length: 30 }, (_, i) => pollDelay(i));
  expect(delays.slice(0, 3)).toEqual([250, 250, 250]);
  for (let i = 1; i < delays.length; i++) expect(delays[i]).toBeGreaterThanOrEqual(delays[i - 1]);
  expect(Math.max(...delays)).toBe(3000);
  // The first second and a half already holds four requests: a small image is done in well under a second.
  let elapsed = 0;
  let asked = 0;
  while (elapsed + delays[asked] <= 1500) elapsed += delays[asked++];
  expect(asked).toBeGreaterThanOrEqual(4);
});
