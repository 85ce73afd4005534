/**
 * `npm run screenshots`: the README's and docs' pictures of the upload page, taken from the
 * shipped page on the day rather than drawn by hand. Starts Azurite and the app as `npm start`
 * does, drops photos from ../shared/datasets on the page in Debian's Chromium at desktop
 * (1280x900) and phone (390x844) sizes, runs a bulk job from the page, and writes
 * docs/images/{upload-page,batch-grid,jobs,upload-page-phone}.png. The scores shown are this
 * machine's own.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { BlobServiceClient } from '@azure/storage-blob';
import type { Page } from 'playwright-core';
import { PROJECT_ROOT } from '../src/lib/paths';
import { spawnApp, stopApp } from '../src/local/launcher/appProcess';
import { startAzurite } from '../src/local/launcher/azurite';
import { launchChromium } from './chromium';

const SHARED = path.resolve(PROJECT_ROOT, '../shared');
const OUT = path.join(PROJECT_ROOT, 'docs/images');
const PHOTOS = path.join(SHARED, 'datasets/photos');
const IMAGENET = path.join(SHARED, 'datasets/imagenet-photos-dev/images');

/** Waits until the page has every file it was given terminal (the summary says none is in progress). */
async function settled(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) => document.querySelectorAll('.card[data-state="succeeded"], .card[data-state="failed"]').length >= n,
    count,
    { timeout: 180_000 },
  );
  await page.waitForFunction(() =>
    /\b0 in progress\b/.test(document.getElementById('summary')?.textContent ?? ''),
  );
}

async function main(): Promise<void> {
  const azurite = await startAzurite({ inMemoryPersistence: true });
  const app = await spawnApp({
    connectionString: azurite.connectionString,
    env: { MODEL_CACHE_DIR: process.env.MODEL_CACHE_DIR ?? path.join(SHARED, 'models') },
  });
  const browser = await launchChromium();
  try {
    const desktop = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await desktop.goto(`${app.url}/`);
    const photos = readdirSync(PHOTOS).map((name) => path.join(PHOTOS, name));
    await desktop.setInputFiles('#file-input', photos);
    await settled(desktop, photos.length);
    await desktop.screenshot({ path: path.join(OUT, 'upload-page.png') });
    console.log('docs/images/upload-page.png');

    const batch = readdirSync(IMAGENET)
      .sort()
      .slice(0, 24)
      .map((name) => path.join(IMAGENET, name));
    await desktop.click('#clear');
    await desktop.setInputFiles('#file-input', batch);
    await settled(desktop, batch.length);
    await desktop.check('input[name="view"][value="grid"]');
    await desktop.locator('#results-heading').evaluate((h) => h.scrollIntoView());
    await desktop.screenshot({ path: path.join(OUT, 'batch-grid.png') });
    console.log('docs/images/batch-grid.png');

    // A job over a folder of the drop-folder's kind: 40 photos under holiday/ in a container of their own.
    const container = BlobServiceClient.fromConnectionString(azurite.connectionString).getContainerClient(
      'photos',
    );
    await container.createIfNotExists();
    for (const file of readdirSync(IMAGENET).sort().slice(24, 64))
      await container.getBlockBlobClient(`holiday/${file}`).uploadFile(path.join(IMAGENET, file));
    await desktop.fill('#job-container', 'photos');
    await desktop.fill('#job-prefix', 'holiday/');
    await desktop.click('#job-form button[type="submit"]');
    await desktop.waitForSelector('.job[data-status="succeeded"]', { timeout: 180_000 });
    await desktop.locator('.jobs-section').screenshot({ path: path.join(OUT, 'jobs.png') });
    console.log('docs/images/jobs.png');

    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
    });
    await phone.goto(`${app.url}/`);
    await phone.setInputFiles('#file-input', photos);
    await settled(phone, photos.length);
    await phone.screenshot({ path: path.join(OUT, 'upload-page-phone.png') });
    console.log('docs/images/upload-page-phone.png');
  } finally {
    await browser.close();
    await stopApp(app.child, 'SIGTERM');
    await azurite.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
