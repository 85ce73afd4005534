/**
 * The page with 1,000 results, in Debian's Chromium (playwright-core): the results are put in
 * sessionStorage as the page keeps them, the page restores them, and then it is scrolled from
 * top to bottom one step per frame, in list and in grid view, while the frames' times are taken
 * from requestAnimationFrame. Side by side: the page as it is (cards off screen are not laid
 * out in the list, `content-visibility: auto`) and the same page with every card laid out. Also how long a
 * label filter takes to apply over the 1,000.
 */
import type { Browser } from 'playwright-core';
import { launchChromium } from '../../tools/chromium';
import { startLocalApp } from '../localApp';
import { percentile, round, type ModeReport } from '../stats';

const RESULTS = 1000;
const LABELS = ['tabby, tabby cat', 'golden retriever', 'espresso', 'water tower', 'zebra', 'geyser'];

/** What the page keeps in sessionStorage for a finished upload (web/js/results.js, save()). */
function storedItems(): unknown[] {
  return Array.from({ length: RESULTS }, (_, i) => ({
    key: `k${i}`,
    name: `photo-${i}.jpg`,
    size: 100_000 + i,
    type: 'image/jpeg',
    phase: 'done',
    progress: 1,
    added: i,
    id: `id-${i}`,
    result: {
      id: `id-${i}`,
      status: 'succeeded',
      source: { name: `photo-${i}.jpg`, bytes: 100_000 + i, width: 500, height: 375 },
      predictions: Array.from({ length: 5 }, (_, k) => ({
        label: LABELS[(i + k) % LABELS.length],
        classIndex: k,
        score: 0.9 - k * 0.15,
      })),
      model: { id: 'mobilenetv2-12-int8', sha256: 'x' },
      timings: { queueMs: 40, downloadMs: 5, decodeMs: 12, inferMs: 8, totalMs: 70 },
      createdAt: new Date().toISOString(),
    },
  }));
}

interface Run {
  restoreMs: number;
  frames: { list: number[]; grid: number[] };
  filterMs: number;
}

async function run(browser: Browser, url: string, layOutAll: boolean): Promise<Run> {
  const context = await browser.newContext({ viewport: { width: 1200, height: 900 } });
  const page = await context.newPage();
  const items = JSON.stringify(storedItems());
  await page.addInitScript(
    ({ value, all }) => {
      sessionStorage.setItem('image-classifier.uploads.v1', value);
      (window as unknown as { benchStart: number }).benchStart = performance.now();
      if (all) {
        // The comparison: every card laid out and painted, as without content-visibility.
        document.addEventListener('DOMContentLoaded', () => {
          const style = document.createElement('style');
          style.textContent = '.card { content-visibility: visible !important; }';
          document.head.append(style);
        });
      }
    },
    { value: items, all: layOutAll },
  );
  await page.goto(`${url}/`);
  await page.waitForFunction((n) => document.querySelectorAll('.card').length === n, RESULTS);
  const restoreMs = await page.evaluate(
    () =>
      new Promise<number>((resolve) =>
        requestAnimationFrame(() =>
          resolve(performance.now() - (window as unknown as { benchStart: number }).benchStart),
        ),
      ),
  );
  const scroll = () =>
    page.evaluate(
      () =>
        new Promise<number[]>((resolve) => {
          window.scrollTo(0, 0);
          const times: number[] = [];
          let last = 0;
          const step = (t: number) => {
            if (last) times.push(t - last);
            last = t;
            const end = document.documentElement.scrollHeight - innerHeight;
            if (scrollY >= end - 1) return resolve(times);
            window.scrollBy(0, 400);
            requestAnimationFrame(step);
          };
          requestAnimationFrame(step);
        }),
    );
  const list = await scroll();
  await page.check('input[name="view"][value="grid"]');
  const grid = await scroll();
  const filterMs = await page.evaluate(
    () =>
      new Promise<number>((resolve) => {
        const input = document.getElementById('filter-text') as HTMLInputElement;
        const started = performance.now();
        input.value = 'zebra';
        input.dispatchEvent(new Event('input'));
        requestAnimationFrame(() => resolve(performance.now() - started));
      }),
  );
  await context.close();
  return { restoreMs, frames: { list, grid }, filterMs };
}

export async function pageMode(): Promise<ModeReport> {
  const app = await startLocalApp();
  const browser = await launchChromium();
  try {
    await run(browser, app.url, false); // warm-up: the browser's and the app's first page
    const asIs = await run(browser, app.url, false);
    const all = await run(browser, app.url, true);
    const fmt = (r: Run, view: 'list' | 'grid') =>
      `${view}: frame p50 ${round(percentile(r.frames[view], 50))} ms, p95 ${round(percentile(r.frames[view], 95))} ms, ` +
      `over 50 ms ${r.frames[view].filter((t) => t > 50).length} of ${r.frames[view].length}`;
    const frames = [...asIs.frames.list, ...asIs.frames.grid];
    return {
      mode: `page, ${RESULTS} results (restore, scroll, filter)`,
      images: RESULTS,
      seconds: round(asIs.restoreMs / 1000),
      imagesPerSecond: null,
      p50Ms: round(percentile(frames, 50)),
      p95Ms: round(percentile(frames, 95)),
      peakRssMb: NaN,
      note:
        `as shipped (list cards off screen not laid out): restore ${Math.round(asIs.restoreMs)} ms, ${fmt(asIs, 'list')}, ${fmt(asIs, 'grid')}, ` +
        `label filter ${Math.round(asIs.filterMs)} ms; every card laid out: restore ${Math.round(all.restoreMs)} ms, ` +
        `${fmt(all, 'list')}, ${fmt(all, 'grid')}, label filter ${Math.round(all.filterMs)} ms; p50/p95 = frame times while scrolling`,
      metrics: {
        restoreMs: Math.round(asIs.restoreMs),
        frameP95Ms: round(percentile(frames, 95)),
        filterMs: Math.round(asIs.filterMs),
      },
    };
  } finally {
    await browser.close();
    await app.stop();
  }
}
