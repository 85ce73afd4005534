/**
 * The browser every browser test drives (tools/chromium.ts), and what a page must never do: a
 * script error or a console error (a CSP refusal shows as one); `useBrowser` gives a test file
 * its browser and pages.
 */
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { launchChromium } from '../../tools/chromium';

/** Collects the page's script errors and console errors (failed resource loads aside) from now on. */
export function pageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !/Failed to load resource/.test(msg.text())) problems.push(msg.text());
  });
  page.on('pageerror', (err) => problems.push(err.message));
  return problems;
}

export interface OpenedPage {
  page: Page;
  /** What went wrong in the page (see pageProblems); a test expects it empty. */
  problems: string[];
}

/**
 * One Chromium for a test file and a fresh context (storage, downloads) for each test, hooks
 * registered where called. `open()` loads the app's page and waits until it has asked the
 * server for its model, so a test starts from a page that is ready.
 */
export function useBrowser(
  app: { readonly url: string },
  contextOptions: BrowserContextOptions = {},
): { open(): Promise<OpenedPage>; newPage(): Promise<Page> } {
  let browser: Browser | undefined;
  let context: BrowserContext | undefined;
  beforeAll(async () => {
    browser = await launchChromium();
  }, 30_000);
  afterAll(() => browser?.close());
  beforeEach(async () => {
    context = await browser!.newContext({ viewport: { width: 1100, height: 900 }, ...contextOptions });
  });
  afterEach(() => context?.close());
  const newPage = (): Promise<Page> => context!.newPage();
  return {
    newPage,
    async open() {
      const page = await newPage();
      const problems = pageProblems(page);
      await page.goto(`${app.url}/`);
      await page.waitForFunction(
        () => !document.getElementById('model-name')?.textContent?.includes('checking'),
      );
      return { page, problems };
    },
  };
}
