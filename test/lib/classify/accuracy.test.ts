/**
 * Accuracy of the shipped preprocessing on the dev sets, against the standard recipe
 * (torchvision's Resize(256) bilinear + CenterCrop(224)) computed here on the same images.
 * Ours may not fall more than one point below it. The figures are printed for the README.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { Classifier } from '../../../src/lib/classify/classifier';
import { SHARED } from '../../support/images';

interface Labelled {
  file: string;
  label: number;
}

async function standardCrop(bytes: Buffer): Promise<Buffer> {
  const { width = 0, height = 0 } = await sharp(bytes).metadata();
  const scale = 256 / Math.min(width, height);
  const [w, h] = [Math.round(width * scale), Math.round(height * scale)];
  return sharp(bytes)
    .resize({ width: w, height: h, fit: 'fill', kernel: 'linear' })
    .extract({ left: Math.floor((w - 224) / 2), top: Math.floor((h - 224) / 2), width: 224, height: 224 })
    .toColourspace('srgb')
    .removeAlpha()
    .raw()
    .toBuffer();
}

const argmax = (p: Float32Array): number => p.reduce((best, v, i) => (v > p[best] ? i : best), 0);

describe.each(['imagenet-val-dev', 'imagenet-photos-dev'])('top-1 accuracy on %s', (set) => {
  it('is within one point of the standard preprocessing, or better', async () => {
    const classifier = await Classifier.create();
    const dir = path.join(SHARED, 'datasets', set);
    const labelled = JSON.parse(readFileSync(path.join(dir, 'labels.json'), 'utf8')) as Labelled[];
    let ours = 0;
    let standard = 0;
    for (const { file, label } of labelled) {
      const bytes = readFileSync(path.join(dir, file));
      const result = await classifier.classify(bytes, { name: file, top: 1 });
      if (result.predictions?.[0].classIndex === label) ours++;
      const [probabilities] = await classifier.session.run([await standardCrop(bytes)]);
      if (argmax(probabilities) === label) standard++;
    }
    const pct = (n: number): number => Math.round((n / labelled.length) * 1000) / 10;
    console.log(`${set}: ours ${pct(ours)}% top-1, standard ${pct(standard)}% (n=${labelled.length})`);
    expect(pct(ours)).toBeGreaterThanOrEqual(pct(standard) - 1);
    expect(pct(ours)).toBeGreaterThan(60); // far below would mean broken preprocessing, not a worse recipe
  }, 180_000); // pure CPU: 13–22 s here
});
