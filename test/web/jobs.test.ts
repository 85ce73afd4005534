/**
 * Bulk jobs from the page, in Debian's Chromium against the real local stack: start a job over a
 * container prefix, watch its counts and progress bar to the end, download its results, find it
 * again after a reload (remembered in localStorage), and cancel a running one.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations } from '../support/axe';
import { SHARED } from '../support/images';
import { useBrowser } from '../support/browser';
import { useLocalStack } from '../support/stack';

const VAL = path.join(SHARED, 'datasets/imagenet-val-dev/images');

const stack = useLocalStack();
const browser = useBrowser(stack, { acceptDownloads: true });

beforeAll(async () => {
  // Two sets in a container of their own: 40 photos to finish, 300 to cancel.
  const container = stack.blobs().getContainerClient('photos');
  await container.createIfNotExists();
  const files = readdirSync(VAL).sort();
  await Promise.all(
    files
      .slice(0, 340)
      .map((f, i) =>
        container
          .getBlockBlobClient(`${i < 40 ? 'small' : 'large'}/${f}`)
          .uploadData(readFileSync(path.join(VAL, f))),
      ),
  );
}, 120_000);

async function startJob(page: Page, prefix: string): Promise<void> {
  await page.fill('#job-container', 'photos');
  await page.fill('#job-prefix', prefix);
  // From the keyboard: Enter in the form submits it.
  await page.focus('#job-prefix');
  await page.keyboard.press('Enter');
}

it('runs a job over a container prefix with its progress visible, downloads it, and remembers it', async () => {
  const { page, problems } = await browser.open();
  await startJob(page, 'small/');
  const job = page.locator('.job', { hasText: 'photos/small/' });
  await job.waitFor();
  // Progress while it runs, then the end.
  await page.waitForFunction(
    () =>
      /^Running: \d+ of \d+\+? images/.test(document.querySelector('.job-counts')?.textContent ?? '') ||
      /^Finished/.test(document.querySelector('.job-counts')?.textContent ?? ''),
  );
  await page.waitForFunction(
    () =>
      document.querySelector('.job-counts')?.textContent?.startsWith('Finished: 40 of 40 images · 0 failed'),
    undefined,
    { timeout: 60_000 },
  );
  expect(await job.locator('progress').evaluate((p: HTMLProgressElement) => [p.value, p.max])).toEqual([
    40, 40,
  ]);
  expect(await job.getByRole('button', { name: /^Cancel the job/ }).isHidden()).toBe(true);

  const [download] = await Promise.all([
    page.waitForEvent('download'),
    job.getByRole('button', { name: 'Download CSV of the job over photos/small/' }).click(),
  ]);
  const csv = readFileSync(await download.path(), 'utf8')
    .trimEnd()
    .split('\r\n');
  expect(csv[0]).toBe('name,status,label,score,errorCode,predictions');
  expect(csv).toHaveLength(41);
  expect(await axeViolations(page)).toEqual([]); // the jobs view with a finished job
  await page
    .locator('.jobs-section')
    .screenshot({ path: path.resolve(__dirname, '../../test-output/jobs.png') });

  await page.reload();
  await page.waitForFunction(() =>
    document.querySelector('.job-counts')?.textContent?.startsWith('Finished: 40 of 40'),
  );
  expect(problems).toEqual([]);
}, 120_000);

it('cancels a running job', async () => {
  const { page, problems } = await browser.open();
  await startJob(page, 'large/');
  const cancel = page.getByRole('button', { name: 'Cancel the job over photos/large/' });
  await cancel.waitFor();
  expect(
    await page.locator('.job', { hasText: 'photos/large/' }).locator('.job-counts').textContent(),
  ).toMatch(/^(Starting…|Running: \d+ of \d+\+? images)/);
  await cancel.focus();
  await page.keyboard.press('Enter');
  await page.waitForFunction(
    () => {
      const text = [...document.querySelectorAll('.job')]
        .find((j) => j.textContent?.includes('photos/large/'))
        ?.querySelector('.job-counts')?.textContent;
      return text?.startsWith('Cancelled');
    },
    undefined,
    { timeout: 30_000 },
  );
  const counts = await page
    .locator('.job', { hasText: 'photos/large/' })
    .locator('.job-counts')
    .textContent();
  const [, done] = /^Cancelled: (\d+) of/.exec(counts ?? '') ?? [];
  expect(Number(done)).toBeLessThan(300);
  expect(counts).toMatch(/^Cancelled: /);
  // Focus stays on the job whose Cancel button went away.
  expect(await page.evaluate(() => document.activeElement?.className)).toBe('job-title');
  expect(problems).toEqual([]);
}, 60_000);

it('says what to do when the server asks for a function key', async () => {
  const { page } = await browser.open();
  await page.route('**/api/jobs', (route) => route.fulfill({ status: 401, body: '' }));
  await startJob(page, 'small/');
  await page.getByText('The server asks for a function key').waitFor();
});
