/**
 * The upload page in a real browser (Debian's Chromium through playwright-core) against the
 * real local stack: Azurite, the function app, the model. Run `npm run build` first.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations } from '../support/axe';
import { PHOTOS, SHARED } from '../support/images';
import { useBrowser } from '../support/browser';
import { useLocalStack } from '../support/stack';

const IMAGENET = path.join(SHARED, 'datasets/imagenet-photos-dev');
// Each run keeps its screenshots in test-output/ (ignored by git); the README's copy in
// docs/images/ is refreshed from there by hand, so a test run never dirties the tree.
const SCREENSHOT = path.resolve(__dirname, '../../test-output/upload-page.png');
/** Photos this model gets right with high confidence, so the expected label is stable. */
const IMAGENET_FILES = [
  'n01440764_tench.JPEG',
  'n01860187_black_swan.JPEG',
  'n02097474_Tibetan_terrier.JPEG',
  'n04562935_water_tower.JPEG',
];

interface CardView {
  name: string;
  state: string;
  labels: string[];
  scores: string[];
  problem: string;
  retryVisible: boolean;
  timings: string;
  thumb: 'image' | 'placeholder' | 'none';
  height: number;
}

const stack = useLocalStack();
const browser = useBrowser(stack, { viewport: { width: 960, height: 900 } });

/** Opens the page, also keeping the body of every POST /api/uploads it sends. */
async function openPage(): Promise<{ page: Page; problems: string[]; uploadRequests: string[] }> {
  const { page, problems } = await browser.open();
  const uploadRequests: string[] = [];
  page.on('request', (req) => {
    if (req.method() === 'POST' && req.url().endsWith('/api/uploads'))
      uploadRequests.push(req.postData() ?? '');
  });
  return { page, problems, uploadRequests };
}

async function cards(page: Page): Promise<CardView[]> {
  return page.$$eval('.card', (nodes) =>
    nodes.map((card): CardView => {
      const text = (sel: string): string => card.querySelector(sel)?.textContent ?? '';
      const visible = (sel: string): boolean => {
        const el = card.querySelector<HTMLElement>(sel);
        return !!el && el.offsetParent !== null && !el.hidden;
      };
      const thumb = card.querySelector('.thumb img')
        ? 'image'
        : card.querySelector('.thumb .placeholder')
          ? 'placeholder'
          : 'none';
      return {
        name: text('.name'),
        state: card.dataset.state ?? '',
        labels: [...card.querySelectorAll('.prediction .label')].map((n) => n.textContent ?? ''),
        scores: [...card.querySelectorAll('.prediction .score')].map((n) => n.textContent ?? ''),
        problem: visible('.problem') ? text('.problem-text') : '',
        retryVisible: visible('.retry'),
        timings: text('.timings'),
        thumb,
        height: Math.round(card.getBoundingClientRect().height),
      };
    }),
  );
}

async function waitUntilSettled(page: Page, count: number, timeout = 40_000): Promise<void> {
  await page.waitForFunction(
    (n) => {
      const all = [...document.querySelectorAll<HTMLElement>('.card')];
      return all.length === n && all.every((c) => c.dataset.state !== 'pending');
    },
    count,
    { timeout },
  );
}

const byName = (all: CardView[], name: string): CardView => {
  const card = all.find((c) => c.name === name);
  if (!card) throw new Error(`No card for ${name}; cards: ${all.map((c) => c.name).join(', ')}`);
  return card;
};

it('rejects a text file and an oversized image in the browser, before any upload', async () => {
  const { page, problems, uploadRequests } = await openPage();
  // Keyboard: skip link, then the file picker.
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('file-input');

  await page.setInputFiles('#file-input', {
    name: 'readme.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('not an image'),
  });
  const rejections = page.locator('#rejection-list li');
  await rejections.first().waitFor();
  expect(await rejections.allTextContents()).toEqual([
    expect.stringMatching(/“readme\.txt” was not uploaded: it is a text\/plain file\. Choose a JPEG, PNG/),
  ]);

  // Drag and drop of an image over 20 MiB: rejected by size, again without a request.
  const dataTransfer = await page.evaluateHandle(() => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(21 * 1024 * 1024)], 'huge.png', { type: 'image/png' }));
    return dt;
  });
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });
  await page.getByText('“huge.png” was not uploaded: it is 21.0 MiB, over the 20 MiB limit').waitFor();

  expect(await page.locator('.card').count()).toBe(0);
  expect(uploadRequests).toEqual([]);
  expect(problems).toEqual([]);
});

it('uploads photos, shows their top-5 labels and timings, and keeps them after a reload', async () => {
  const { page, problems, uploadRequests } = await openPage();
  expect(await page.textContent('#model-name')).toBe('mobilenetv2-12-int8');
  // The page names its icon, and the app serves it (no 404 in the console).
  const icon = await fetch(new URL((await page.getAttribute('link[rel="icon"]', 'href'))!, `${stack.url}/`));
  expect([icon.status, icon.headers.get('content-type')]).toEqual([200, 'image/svg+xml']);
  const expected = new Map(
    (
      JSON.parse(readFileSync(path.join(IMAGENET, 'labels.json'), 'utf8')) as { file: string; name: string }[]
    ).map((e) => [path.basename(e.file), e.name]),
  );
  const files = [
    path.join(PHOTOS, 'chelsea.png'),
    path.join(PHOTOS, 'coffee.png'),
    ...IMAGENET_FILES.map((f) => path.join(IMAGENET, 'images', f)),
  ];

  await page.setInputFiles('#file-input', [
    ...files.map((f) => ({ name: path.basename(f), mimeType: mimeOf(f), buffer: readFileSync(f) })),
    // Text named .jpg: the declared type passes the page's check, the server sniffs the bytes.
    { name: 'notes.jpg', mimeType: 'image/jpeg', buffer: Buffer.from('These are my notes, not a photo.\n') },
  ]);
  const pending = await cards(page);
  await waitUntilSettled(page, files.length + 1);
  const done = await cards(page);
  expect(uploadRequests).toHaveLength(files.length + 1);

  expect(byName(done, 'chelsea.png').labels[0]).toMatch(/cat/);
  expect(byName(done, 'coffee.png').labels[0]).toBe('espresso');
  for (const f of IMAGENET_FILES) expect(byName(done, f).labels[0]).toBe(expected.get(f));
  for (const card of done.filter((c) => c.name !== 'notes.jpg')) {
    expect(card).toMatchObject({ state: 'succeeded', thumb: 'image', problem: '', retryVisible: false });
    expect(card.labels.filter(Boolean)).toHaveLength(5);
    expect(card.scores[0]).toMatch(/^\d+\.\d %$/);
    expect(card.timings).toMatch(
      /^Timings: queue \d+ ms, download \d+ ms, decode \d+ ms, inference \d+ ms, total \d+ ms$/,
    );
  }
  expect(byName(done, 'notes.jpg')).toMatchObject({
    state: 'failed',
    problem: 'This file is not an image the classifier can read. Use JPEG, PNG, WebP, GIF, TIFF or AVIF.',
    retryVisible: false,
  });
  // Space was reserved: no card changed height when its result arrived.
  expect(done.map((c) => c.height)).toEqual(pending.map((c) => c.height));
  const announced = await page.locator('#announcer p').allTextContents();
  expect(announced).toHaveLength(files.length + 1);
  expect(announced).toContainEqual(expect.stringMatching(/^chelsea\.png: .*cat.*, \d+\.\d %\.$/));
  expect(announced).toContain(
    'notes.jpg failed: This file is not an image the classifier can read. Use JPEG, PNG, WebP, GIF, TIFF or AVIF.',
  );

  mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
  await page.screenshot({ path: SCREENSHOT, fullPage: true });

  // Each preview the browser could make is kept (IndexedDB) for the reload: all but notes.jpg's.
  await page.waitForFunction(
    (n) =>
      new Promise((resolve) => {
        const open = indexedDB.open('image-classifier.previews');
        open.onsuccess = () => {
          const count = open.result.transaction('previews').objectStore('previews').count();
          count.onsuccess = () => resolve(count.result === n);
        };
      }),
    files.length,
  );
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.reload();
  await waitUntilSettled(page, files.length + 1, 5_000);
  await page.waitForFunction((n) => document.querySelectorAll('.thumb img').length === n, files.length);
  const restored = await cards(page);
  expect(restored.map((c) => [c.name, c.thumb])).toEqual(
    done.map((c) => [c.name, c.name === 'notes.jpg' ? 'placeholder' : 'image']),
  );
  // Back where it was, at the top (not scrolled to the bottom).
  expect(await page.evaluate(() => window.scrollY)).toBe(0);
  const kept = (list: typeof done) =>
    list.map(({ name, state, labels, scores, problem, timings }) => ({
      name,
      state,
      labels,
      scores,
      problem,
      timings,
    }));
  expect(kept(restored)).toEqual(kept(done));
  expect(uploadRequests).toHaveLength(files.length + 1); // nothing uploaded again

  // Phone width: nothing wider than the screen.
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  await page.screenshot({ path: SCREENSHOT.replace(/\.png$/, '-phone.png') });
  expect(await axeViolations(page)).toEqual([]); // results, one failed, at phone width
  expect(problems).toEqual([]);
});

it('retries a failed upload and resumes polling after a reload, at phone width', async () => {
  const { page, problems } = await openPage();
  await page.setViewportSize({ width: 360, height: 740 });
  // The first PUT to storage fails as if the network dropped.
  let failedPuts = 0;
  await page.route(/\/uploads\/[0-9a-f-]+\?/, async (route) => {
    if (route.request().method() === 'PUT' && failedPuts++ === 0) await route.abort('failed');
    else await route.fallback();
  });
  // Hold every result at "processing" until the page has been reloaded.
  let holdResults = true;
  await page.route('**/api/results/*', async (route) => {
    if (!holdResults) return route.fallback();
    const response = await route.fetch();
    const result = (await response.json()) as Record<string, unknown>;
    await route.fulfill({ response, json: { ...result, status: 'processing' } });
  });

  await page.setInputFiles('#file-input', path.join(PHOTOS, 'rocket.jpg'));
  const heights = [(await cards(page))[0].height];
  const retry = page.getByRole('button', { name: 'Retry rocket.jpg' });
  await retry.waitFor();
  const [failed] = await cards(page);
  expect(failed).toMatchObject({
    state: 'failed',
    problem: 'The connection failed. Check your network, then try again.',
  });
  heights.push(failed.height);
  await retry.click();
  expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('rocket.jpg');
  await page.locator('.status', { hasText: 'Classifying' }).waitFor();
  heights.push((await cards(page))[0].height);

  await page.reload();
  holdResults = false;
  await waitUntilSettled(page, 1, 15_000);
  const [card] = await cards(page);
  expect(card).toMatchObject({ name: 'rocket.jpg', state: 'succeeded', thumb: 'image' });
  expect(card.labels.filter(Boolean)).toHaveLength(5);
  expect(failedPuts).toBe(2);
  heights.push(card.height);
  // Pending, failed, classifying, succeeded: the card kept one height at 360 px.
  expect(heights).toEqual([heights[0], heights[0], heights[0], heights[0]]);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  expect(await axeViolations(page)).toEqual([]);
  expect(problems).toEqual([]);
});

function mimeOf(file: string): string {
  return /\.png$/i.test(file) ? 'image/png' : 'image/jpeg';
}
