/**
 * "Search all results" on the page, in Debian's Chromium against the real local stack: 150
 * drop-folder images, then searches from the form (no filter, a label word, a minimum score),
 * each answered as the API answers it; "Show more" pages; every match downloads as CSV; the
 * view is axe-clean; a bad score and a 401 say what to do.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ClassificationResult } from '../../src/lib/results/result';
import { axeViolations } from '../support/axe';
import { useBrowser } from '../support/browser';
import { SHARED } from '../support/images';
import { eventually, useLocalStack } from '../support/stack';

const VAL = path.join(SHARED, 'datasets/imagenet-val-dev/images');
const COUNT = 150;

const stack = useLocalStack();
const browser = useBrowser(stack, { acceptDownloads: true });

/** Every match of a search, from the API. */
async function apiSearch(query: string): Promise<ClassificationResult[]> {
  const items: ClassificationResult[] = [];
  let token: string | undefined;
  do {
    const res = await fetch(
      `${stack.url}/api/results?${query}&top=1000${token ? `&continuationToken=${encodeURIComponent(token)}` : ''}`,
    );
    const page = (await res.json()) as { items: ClassificationResult[]; continuationToken?: string };
    items.push(...page.items);
    token = page.continuationToken;
  } while (token);
  return items;
}

beforeAll(async () => {
  const images = stack.blobs().getContainerClient('images');
  const files = readdirSync(VAL).sort().slice(0, COUNT);
  await Promise.all(
    files.map((f) => images.getBlockBlobClient(`search/${f}`).uploadData(readFileSync(path.join(VAL, f)))),
  );
  await eventually(
    `${COUNT} results stored`,
    async () => ((await apiSearch('')).length >= COUNT ? true : undefined),
    120_000,
  );
}, 180_000);

const rows = (page: Page) => page.locator('#search-rows tr');

/** Waits until the summary line says `text` (the live region says it too). */
const summary = (page: Page, text: string) =>
  page.waitForFunction((t) => document.getElementById('search-summary')?.textContent === t, text);

it('searches every stored result, a page at a time, by label and score, and downloads every match', async () => {
  const { page, problems } = await browser.open();
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await summary(page, 'Showing 100 results; there are more.');
  expect(await rows(page).count()).toBe(100);
  await page.getByRole('button', { name: 'Show more' }).click();
  await summary(page, `${COUNT} results.`);
  expect(await rows(page).count()).toBe(COUNT);
  expect(await page.getByRole('button', { name: 'Show more' }).isHidden()).toBe(true);
  expect(await axeViolations(page)).toEqual([]);

  // A word of a label that is there, as a user would type it.
  const all = await apiSearch('');
  const word = all.find((r) => r.predictions)!.predictions![0].label.split(/[^A-Za-z]+/)[0];
  const want = await apiSearch(`label=${encodeURIComponent(word)}`);
  await page.fill('#search-label', word.toUpperCase());
  await page.keyboard.press('Enter');
  await summary(page, want.length === 1 ? '1 result.' : `${want.length} results.`);
  expect(await rows(page).locator('td:first-child').allTextContents()).toEqual(
    want.map((r) => r.source.name),
  );

  await page.fill('#search-label', '');
  await page.fill('#search-min-score', '90');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const confident = await apiSearch('minScore=0.9');
  await summary(page, confident.length === 1 ? '1 result.' : `${confident.length} results.`);
  for (const score of await rows(page).locator('td:nth-child(3)').allTextContents())
    expect(Number.parseFloat(score)).toBeGreaterThanOrEqual(90);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download every match as CSV' }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8')
    .trimEnd()
    .split('\r\n');
  expect(csv[0]).toBe('id,name,status,label,score,errorCode,predictions');
  expect(
    csv
      .slice(1)
      .map((line) => line.split(',')[0])
      .sort(),
  ).toEqual(confident.map((r) => r.id).sort());
  await page
    .locator('.search-section')
    .screenshot({ path: path.resolve(__dirname, '../../test-output/search.png') });
  expect(problems).toEqual([]);
}, 120_000);

it('says what is wrong with a minimum score, and what to do when the server asks for a key', async () => {
  const { page } = await browser.open();
  await page.fill('#search-min-score', '150');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText('The minimum score is a percentage from 0 to 100.').waitFor();
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('search-min-score');
  await page.route('**/api/results?**', (route) => route.fulfill({ status: 401, body: '' }));
  await page.fill('#search-min-score', '');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  await page.getByText('The server asks for a function key').waitFor();
});
