/**
 * The page's model choice in a real browser: with more than one model installed it offers
 * them (the default preselected), and an upload is classified with the one chosen.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { useBrowser } from '../support/browser';
import * as img from '../support/images';
import { writeTestModel } from '../../tools/testModels';
import { useLocalStack } from '../support/stack';

const modelsDir = mkdtempSync(path.join(os.tmpdir(), 'page-models-'));
writeTestModel(modelsDir, { id: 'mean-rgb', layout: 'NCHW', channels: 'RGB', output: 'logits' });

const stack = useLocalStack({ env: { CLASSIFIER_MODELS_DIR: modelsDir } });
const browser = useBrowser(stack);

it('offers the installed models and classifies an upload with the one chosen', async () => {
  const { page, problems } = await browser.open();
  await page.waitForSelector('#model-choice:not([hidden])');
  const options = await page.$$eval('#model-select option', (nodes) =>
    nodes.map((n) => ({
      value: (n as HTMLOptionElement).value,
      selected: (n as HTMLOptionElement).selected,
    })),
  );
  expect(options).toEqual([
    { value: 'mobilenetv2-12-int8', selected: true },
    { value: 'mean-rgb', selected: false },
  ]);
  // By keyboard: the list is reachable and its label names it.
  expect(await page.getAttribute('label[for="model-select"]', 'for')).toBe('model-select');
  await page.focus('#model-select');
  await page.selectOption('#model-select', 'mean-rgb');
  await page.setInputFiles('#file-input', {
    name: 'red.png',
    mimeType: 'image/png',
    buffer: await img.solidPng([220, 30, 30]),
  });
  await page.waitForFunction(
    () => document.querySelector('.card')?.getAttribute('data-state') === 'succeeded',
    undefined,
    {
      timeout: 30_000,
    },
  );
  const labels = await page.$$eval('.card .prediction .label', (nodes) => nodes.map((n) => n.textContent));
  expect(labels[0]).toBe('red');
  expect(problems).toEqual([]);
  await page.close();
});
