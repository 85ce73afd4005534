/**
 * The page with a real batch, in Debian's Chromium against the real local stack: 150 photos
 * dropped at once fill the results with a live summary line; a label filter narrows them, a
 * status filter and the sort order work; the grid view tiles them; CSV and JSON lines downloads
 * hold every result (formula-like names neutralised); pasted images are added; Cancel and
 * Remove work from the keyboard; the byte limit and types come from GET /api/limits.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { axeViolations } from '../support/axe';
import { PHOTOS, SHARED } from '../support/images';
import { useBrowser } from '../support/browser';
import { useLocalStack } from '../support/stack';

const VAL = path.join(SHARED, 'datasets/imagenet-val-dev/images');
/** Photos dropped at once and classified while the test watches. */
const BATCH = 150;
/** Results the page keeps and prints (restored from its own sessionStorage list). */
const KEPT = 500;

const stack = useLocalStack();
const browser = useBrowser(stack, { viewport: { width: 1280, height: 900 }, acceptDownloads: true });

const visibleCards = (page: Page) =>
  page.$$eval('.card', (nodes) =>
    nodes
      .filter((n) => !(n as HTMLElement).hidden)
      .map((n) => ({
        name: n.querySelector('.name')?.textContent ?? '',
        state: (n as HTMLElement).dataset.state ?? '',
        labels: [...n.querySelectorAll('.prediction .label')].map((l) => l.textContent ?? ''),
        score: Number.parseFloat(n.querySelector('.prediction .score')?.textContent ?? '-1'),
        left: Math.round(n.getBoundingClientRect().left),
      })),
  );

/**
 * How the first tiles of the grid are laid out: whether the top label is cut (by width or
 * height), the name's rendered lines, and whether Remove covers the picture.
 */
const tileLayout = (page: Page) =>
  page.$$eval('.card:not([hidden])', (nodes) =>
    nodes.slice(0, 40).map((card) => {
      const label = card.querySelector<HTMLElement>('.prediction .label')!;
      const name = card.querySelector<HTMLElement>('.name')!;
      const thumb = card.querySelector('.thumb')!.getBoundingClientRect();
      const remove = card.querySelector('.remove')!.getBoundingClientRect();
      const lines: string[] = [];
      let lastTop = Number.NaN;
      const range = document.createRange();
      const walker = document.createTreeWalker(name, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent ?? '';
        for (let i = 0; i < text.length; i++) {
          range.setStart(node, i);
          range.setEnd(node, i + 1);
          const top = Math.round(range.getBoundingClientRect().top);
          if (top !== lastTop) lines.push('');
          lastTop = top;
          lines[lines.length - 1] += text[i];
        }
      }
      return {
        label: label.textContent,
        labelCut: label.scrollWidth > label.clientWidth || label.scrollHeight > label.clientHeight,
        lines,
        removeOverThumb: !(
          remove.top >= thumb.bottom ||
          remove.bottom <= thumb.top ||
          remove.left >= thumb.right ||
          remove.right <= thumb.left
        ),
      };
    }),
  );

/** The download buttons' boxes: one line each, side by side. */
const downloadButtons = (page: Page) =>
  page.$$eval('#download-csv, #download-jsonl', (nodes) =>
    nodes.map((n) => {
      const box = n.getBoundingClientRect();
      const style = getComputedStyle(n);
      const text =
        (n as HTMLElement).clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
      return { top: Math.round(box.top), lines: Math.floor(text / parseFloat(style.lineHeight)) };
    }),
  );

/** Downloads from the keyboard: focus the button, press Enter. */
async function downloadText(page: Page, button: string): Promise<string> {
  await page.focus(button);
  const [download] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
  return readFileSync(await download.path(), 'utf8');
}

it(`shows ${BATCH} photos dropped at once with a live summary, filters, sorts, tiles and downloads them`, async () => {
  const { page, problems } = await browser.open();
  expect(await axeViolations(page)).toEqual([]); // the empty page
  const files = readdirSync(VAL)
    .sort()
    .slice(0, BATCH - 1)
    .map((f) => ({ name: f, mimeType: 'image/jpeg', buffer: readFileSync(path.join(VAL, f)) }));
  // An anonymous name that a spreadsheet would run as a formula.
  files.push({ name: '=HYPERLINK("x").jpg', mimeType: 'image/jpeg', buffer: files[0].buffer });
  // Built in the page from base64 (an array of numbers per file would be ten times the size).
  const dataTransfer = await page.evaluateHandle(
    (all) => {
      const dt = new DataTransfer();
      for (const f of all) {
        const bytes = Uint8Array.from(atob(f.base64), (c) => c.charCodeAt(0));
        dt.items.add(new File([bytes], f.name, { type: f.mimeType }));
      }
      return dt;
    },
    files.map((f) => ({ name: f.name, mimeType: f.mimeType, base64: f.buffer.toString('base64') })),
  );
  await page.dispatchEvent('#dropzone', 'drop', { dataTransfer });

  // The summary line moves while the batch runs: a rate and what is left.
  const live = await page.waitForFunction(
    () => {
      const text = document.getElementById('summary')?.textContent ?? '';
      return (
        /\d+ done · \d+ failed · [1-9]\d* in progress · [\d.]+ images\/s · about .+ left/.test(text) && text
      );
    },
    undefined,
    { timeout: 60_000 },
  );
  expect(await live.jsonValue()).toMatch(/images\/s/);
  await page.waitForFunction(
    (n) =>
      document.getElementById('summary')?.textContent?.startsWith(`${n} done · 0 failed · 0 in progress`),
    BATCH,
    { timeout: 240_000, polling: 500 },
  );
  expect(await page.locator('.card').count()).toBe(BATCH);

  expect(await axeViolations(page)).toEqual([]); // the list with its summary and tools

  // Filter by a label, from the keyboard: only cards with it among their labels (or in the name) stay.
  const all = await visibleCards(page);
  const label = all[0].labels[0];
  await page.focus('#clear');
  await page.keyboard.press('Tab'); // the next stop is the filter
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('filter-text');
  await page.keyboard.type(label.split(',')[0]);
  await page.waitForFunction(() =>
    [...document.querySelectorAll('.card')].some((c) => (c as HTMLElement).hidden),
  );
  const narrowed = await visibleCards(page);
  expect(narrowed.length).toBeGreaterThan(0);
  expect(narrowed.length).toBeLessThan(BATCH);
  // The summary says how many the filter shows; its counts stay the whole batch's.
  await page.waitForFunction(() => document.getElementById('summary')?.textContent?.startsWith('Showing'));
  expect(await page.textContent('#summary')).toBe(
    `Showing ${narrowed.length} of ${BATCH}: ${BATCH} done · 0 failed · 0 in progress`,
  );
  const word = label.split(',')[0].toLowerCase();
  for (const card of narrowed)
    expect([card.name, ...card.labels].some((t) => t.toLowerCase().includes(word))).toBe(true);
  await page.fill('#filter-text', '');
  await page.selectOption('#filter-status', 'failed');
  expect(await visibleCards(page)).toEqual([]);
  expect(await page.isVisible('#none-match')).toBe(true);
  await page.selectOption('#filter-status', '');

  // Sort by score: highest first.
  await page.selectOption('#sort', 'score');
  const scores = (await visibleCards(page)).map((c) => c.score);
  expect(scores).toEqual([...scores].sort((a, b) => b - a));

  // At 1280 px the two download buttons sit on one row, each on one line.
  expect(await downloadButtons(page)).toEqual([
    { top: expect.any(Number), lines: 1 },
    { top: (await downloadButtons(page))[0].top, lines: 1 },
  ]);

  // Grid view: several tiles per row, each with its whole top label and its name broken only
  // between parts (after _ . -), and Remove under the picture, not over it.
  await page.check('input[name="view"][value="grid"]');
  const tiles = (await visibleCards(page)).slice(0, 8);
  expect(new Set(tiles.map((t) => t.left)).size).toBeGreaterThan(2);
  const layout = await tileLayout(page);
  expect(layout.length).toBeGreaterThan(10);
  for (const tile of layout) {
    expect({ label: tile.label, cut: tile.labelCut, overThumb: tile.removeOverThumb }).toEqual({
      label: tile.label,
      cut: false,
      overThumb: false,
    });
    for (const line of tile.lines.slice(0, -1)) expect(line).toMatch(/[_.-]$/);
  }
  expect(await axeViolations(page)).toEqual([]);
  // For the README (docs/images/ is refreshed from test-output/ by hand).
  await page.locator('#results-heading').scrollIntoViewIfNeeded();
  await page.evaluate(() => document.getElementById('results-heading')?.scrollIntoView());
  await page.screenshot({ path: path.resolve(__dirname, '../../test-output/batch-grid.png') });

  // Downloads: every result, the job export's columns, the formula-like name neutralised.
  const csv = (await downloadText(page, '#download-csv')).trimEnd().split('\r\n');
  expect(csv[0]).toBe('name,status,label,score,errorCode,predictions');
  expect(csv).toHaveLength(BATCH + 1);
  expect(csv.some((row) => row.startsWith(`"'=HYPERLINK(""x"").jpg",succeeded,`))).toBe(true);
  const jsonl = (await downloadText(page, '#download-jsonl')).trimEnd().split('\n');
  expect(jsonl).toHaveLength(BATCH);
  const first = JSON.parse(jsonl[0]) as { status: string; predictions: unknown[]; source: { name: string } };
  expect(first).toMatchObject({ status: 'succeeded', predictions: expect.any(Array) });

  // On a phone (390x844): the first result's top label above the fold, the download buttons one
  // line each, two tiles a row in the grid, nothing wider than the screen.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.check('input[name="view"][value="list"]');
  await page.evaluate(() => window.scrollTo(0, 0));
  const fold = await page.$eval('.card:not([hidden]) .prediction', (p) => p.getBoundingClientRect().bottom);
  expect(fold).toBeLessThanOrEqual(844);
  expect((await downloadButtons(page)).map((b) => b.lines)).toEqual([1, 1]);
  await page.check('input[name="view"][value="grid"]');
  expect(new Set((await visibleCards(page)).slice(0, 4).map((t) => t.left)).size).toBe(2);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
  expect(problems).toEqual([]);
}, 600_000);

it(`prints every one of ${KEPT} kept results, which the screen paints only near the view`, async () => {
  const { page, problems } = await browser.open();
  // One real result, then the page's own kept list of it 500 times over (as a reload restores a
  // batch): printing does not depend on how the results got there.
  await page.setInputFiles('#file-input', path.join(PHOTOS, 'chelsea.png'));
  await page.waitForFunction(
    () => document.querySelector('.card')?.getAttribute('data-state') === 'succeeded',
  );
  // Written as the reloaded page starts (the page itself saves its list as it goes away). The
  // page saves at most once a second: wait for the save that has the result, or the 500 kept
  // copies would each poll for it after the reload.
  const item = await (
    await page.waitForFunction(() => {
      const [kept] = JSON.parse(sessionStorage.getItem('image-classifier.uploads.v1') ?? '[]') as {
        phase?: string;
      }[];
      return kept?.phase === 'done' ? kept : undefined;
    })
  ).jsonValue();
  await page.addInitScript(
    ({ kept, count }) => {
      const items = Array.from({ length: count }, (_, i) => ({
        ...kept,
        key: `kept-${i}`,
        name: `photo-${i}.png`,
        added: i,
      }));
      sessionStorage.setItem('image-classifier.uploads.v1', JSON.stringify(items));
    },
    { kept: item as Record<string, unknown>, count: KEPT },
  );
  await page.reload();
  await page.waitForFunction(
    (n) => document.querySelectorAll('.card[data-state="succeeded"]').length === n,
    KEPT,
  );
  const painted = () =>
    page.$$eval(
      '.card .name',
      (names) => names.filter((n) => n.checkVisibility({ contentVisibilityAuto: true })).length,
    );
  expect(await painted()).toBeLessThan(KEPT);
  await page.emulateMedia({ media: 'print' });
  expect(await painted()).toBe(KEPT);
  await page.emulateMedia({ media: 'screen' });
  expect(problems).toEqual([]);
}, 120_000);

it('adds pasted images, and cancels and removes files from the keyboard', async () => {
  const { page, problems } = await browser.open();
  const bytes = [...readFileSync(path.join(PHOTOS, 'chelsea.png'))];
  await page.evaluate((b) => {
    const dt = new DataTransfer();
    dt.items.add(new File([new Uint8Array(b)], 'image.png', { type: 'image/png' }));
    document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true }));
  }, bytes);
  await page.waitForFunction(
    () => document.querySelector<HTMLElement>('.card')?.dataset.state === 'succeeded',
    undefined,
    {
      timeout: 30_000,
    },
  );
  const [pasted] = await visibleCards(page);
  expect(pasted.labels[0]).toMatch(/cat/);

  // A second file held at its upload: Cancel aborts the PUT and removes its card.
  await page.route(/\/uploads\/[0-9a-f-]+\?/, () => undefined); // never answered
  const aborted = page.waitForEvent('requestfailed', (r) => r.method() === 'PUT');
  await page.setInputFiles('#file-input', path.join(PHOTOS, 'coffee.png'));
  await page.locator('.status', { hasText: 'Uploading' }).waitFor();
  const cancel = page.getByRole('button', { name: 'Cancel coffee.png' });
  await cancel.focus();
  await page.keyboard.press('Enter');
  expect((await aborted).url()).toMatch(/\/uploads\//);
  await page.waitForFunction(() => document.querySelectorAll('.card').length === 1);
  // Remove the pasted one with the keyboard: focus goes back to the file chooser.
  await page.getByRole('button', { name: 'Remove image.png' }).focus();
  await page.keyboard.press('Enter');
  expect(await page.locator('.card').count()).toBe(0);
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('file-input');
  expect(problems).toEqual([]);
}, 60_000);

it('checks files with the limits the server gives (GET /api/limits)', async () => {
  const page = await browser.newPage();
  await page.route('**/api/limits', (route) =>
    route.fulfill({ json: { maxBytes: 100_000, maxPixels: 50_000_000, types: ['image/jpeg', 'image/png'] } }),
  );
  await page.goto(`${stack.url}/`);
  await page.waitForFunction(() => document.getElementById('accepted')?.textContent?.includes('97.7 KiB'));
  expect(await page.textContent('#accepted')).toBe('JPEG or PNG, up to 97.7 KiB each.');
  expect(await page.getAttribute('#file-input', 'accept')).toContain('image/png');
  await page.setInputFiles('#file-input', [
    { name: 'chelsea.png', mimeType: 'image/png', buffer: readFileSync(path.join(PHOTOS, 'chelsea.png')) },
    { name: 'tiny.webp', mimeType: 'image/webp', buffer: Buffer.from('RIFF0000WEBP') },
  ]);
  const rejections = await page.locator('#rejection-list li').allTextContents();
  expect(await axeViolations(page)).toEqual([]); // the rejections shown
  expect(rejections).toEqual([
    expect.stringMatching(/“chelsea\.png” was not uploaded: it is 234\.9 KiB, over the 97\.7 KiB limit/),
    expect.stringMatching(/“tiny\.webp” was not uploaded: it is a image\/webp file/),
  ]);
  expect(await page.locator('.card').count()).toBe(0);
});
