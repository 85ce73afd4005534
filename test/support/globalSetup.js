// Every test finds the model the same way, as the README says: MODEL_CACHE_DIR when set, else
// ../shared/models beside the checkout. When neither holds the default model the run stops here
// with one message, instead of dozens of tests failing on a model that cannot load.
const { existsSync } = require('node:fs');
const path = require('node:path');

const MODEL_FILE = 'mobilenetv2-12-int8.onnx';

module.exports = async function globalSetup() {
  const shared = path.resolve(__dirname, '../../../shared/models');
  const dir = process.env.MODEL_CACHE_DIR ? path.resolve(process.env.MODEL_CACHE_DIR) : shared;
  if (!existsSync(path.join(dir, MODEL_FILE))) {
    throw new Error(
      `The tests need the default model: ${MODEL_FILE} is not in ${dir}` +
        (process.env.MODEL_CACHE_DIR
          ? ' (MODEL_CACHE_DIR)'
          : ` (the default when MODEL_CACHE_DIR is unset)`) +
        `. Set MODEL_CACHE_DIR to a folder that holds it, or put ../shared beside the checkout.`,
    );
  }
  process.env.MODEL_CACHE_DIR = dir; // inherited by the test workers and every process they start
};
