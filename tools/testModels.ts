/**
 * Small real ONNX models, built here (onnx-proto encodes the protobuf), that compute something
 * checkable from the pixels: the mean of each input channel over the image, as the model's
 * output. Three labels, one per channel in the model's own channel order, so a manifest that
 * gets channel order, layout, scale, mean/std or resize wrong gives a wrong, or a wrongly
 * scored, answer. Each is written with its manifest and labels into a folder, as a user adds a
 * model. The tests build theirs with writeTestModel; `npm run example-models [dir]` writes a
 * set to try the CLI and the app with (CLASSIFIER_MODELS_DIR=example-models).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';

export interface TestModelSpec {
  id: string;
  layout: 'NCHW' | 'NHWC';
  channels: 'RGB' | 'BGR';
  output: 'logits' | 'probabilities' | 'sigmoid';
  width?: number;
  height?: number;
  /** Manifest preprocessing beyond the layout: scale, mean, std, resize. */
  preprocessing?: Record<string, unknown>;
  /** Write the labels as a text file (one per line) instead of JSON. */
  labelsAs?: 'json' | 'txt';
  /** A fixed batch dimension (torch.onnx.export without dynamic_axes gives 1); default free. */
  batch?: number;
  /**
   * Bytes of padding in the model's doc string: a file at least this big, without changing what
   * it computes (the memory budget counts at least a model's file size).
   */
  padBytes?: number;
}

/** The model's bytes: output[n, c] = mean over the image of input channel c. */
export function channelMeanModel(
  layout: 'NCHW' | 'NHWC',
  width: number,
  height: number,
  batch?: number,
  padBytes = 0,
): Buffer {
  const n = batch === undefined ? { dimParam: 'N' } : { dimValue: batch };
  const dims =
    layout === 'NCHW'
      ? [n, { dimValue: 3 }, { dimValue: height }, { dimValue: width }]
      : [n, { dimValue: height }, { dimValue: width }, { dimValue: 3 }];
  const tensor = (name: string, dim: onnx.TensorShapeProto.IDimension[]): onnx.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 7,
    producerName: 'image-classifier tests',
    docString: padBytes > 0 ? ' '.repeat(padBytes) : undefined,
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'channel_mean',
      node: [
        {
          opType: 'ReduceMean',
          input: ['pixels'],
          output: ['scores'],
          attribute: [
            {
              name: 'axes',
              type: onnx.AttributeProto.AttributeType.INTS,
              ints: layout === 'NCHW' ? [2, 3] : [1, 2],
            },
            { name: 'keepdims', type: onnx.AttributeProto.AttributeType.INT, i: 0 },
          ],
        },
      ],
      input: [tensor('pixels', dims)],
      output: [tensor('scores', [n, { dimValue: 3 }])],
    },
  });
  return Buffer.from(onnx.ModelProto.encode(model).finish());
}

/** Writes `<id>.onnx`, `<id>.json` and its labels into `dir`; returns the manifest path. */
export function writeTestModel(dir: string, spec: TestModelSpec): string {
  mkdirSync(dir, { recursive: true });
  const width = spec.width ?? 32;
  const height = spec.height ?? 32;
  const bytes = channelMeanModel(spec.layout, width, height, spec.batch, spec.padBytes);
  const file = `${spec.id}.onnx`;
  writeFileSync(path.join(dir, file), bytes);
  const labels = spec.channels === 'RGB' ? ['red', 'green', 'blue'] : ['blue', 'green', 'red'];
  const labelsFile = `${spec.id}.labels.${spec.labelsAs ?? 'json'}`;
  writeFileSync(
    path.join(dir, labelsFile),
    spec.labelsAs === 'txt' ? `${labels.join('\n')}\n` : JSON.stringify(labels),
  );
  const manifest = {
    id: spec.id,
    description: `Mean of each ${spec.channels} channel (${spec.layout}, ${spec.output}): a test model`,
    file,
    sha256: createHash('sha256').update(bytes).digest('hex'),
    url: `http://127.0.0.1:9/${file}`,
    input: { name: 'pixels', layout: spec.layout, width, height },
    output: { name: 'scores', kind: spec.output },
    preprocessing: { channels: spec.channels, ...spec.preprocessing },
    labels: labelsFile,
  };
  const manifestPath = path.join(dir, `${spec.id}.json`);
  writeFileSync(manifestPath, JSON.stringify(manifest, null, 2));
  return manifestPath;
}

/** The example set: one model per input style a real export has. */
export const EXAMPLE_MODELS: TestModelSpec[] = [
  { id: 'mean-rgb', layout: 'NCHW', channels: 'RGB', output: 'logits' },
  {
    id: 'mean-bgr-nhwc',
    layout: 'NHWC',
    channels: 'BGR',
    output: 'probabilities',
    preprocessing: { scale: '0-255', resize: 'squash' },
  },
  {
    id: 'mean-sigmoid',
    layout: 'NCHW',
    channels: 'RGB',
    output: 'sigmoid',
    preprocessing: { scale: '-1-1' },
    labelsAs: 'txt',
  },
];

if (require.main === module) {
  const dir = path.resolve(process.argv[2] ?? 'example-models');
  for (const spec of EXAMPLE_MODELS) writeTestModel(dir, spec);
  process.stdout.write(
    `Wrote ${EXAMPLE_MODELS.map((m) => m.id).join(', ')} to ${dir}.\n` +
      `Try: CLASSIFIER_MODELS_DIR=${path.relative(process.cwd(), dir) || '.'} npx classify models\n`,
  );
}
