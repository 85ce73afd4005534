// What the server tells the page at load: its limits and accepted types (GET /api/limits),
// the model serving and whether it is ready (GET /api/health), and the installed models to
// choose from (GET /api/models).
import { getJson } from './api.js';
import { $ } from './dom.js';
import { acceptAttribute, applyLimits, describeLimits } from './files.js';

const els = {
  input: $('file-input'),
  accepted: $('accepted'),
  modelName: $('model-name'),
  modelChoice: $('model-choice'),
  modelSelect: $('model-select'),
};

/** The model chosen for new work, or undefined for the server's default (no choice offered). */
export function chosenModel() {
  return els.modelChoice.hidden ? undefined : els.modelSelect.value;
}

/** The server's limits replace the defaults this page started with; the server still refuses what it does not accept. */
export async function loadLimits() {
  const answer = await getJson('api/limits');
  if (!answer || !answer.ok || !applyLimits(answer.body)) return;
  els.accepted.textContent = describeLimits();
  els.input.accept = acceptAttribute();
}

export async function showModel() {
  const answer = await getJson('api/health');
  if (!answer || !answer.body) {
    els.modelName.textContent = 'unknown (the service did not answer)';
    return;
  }
  const health = answer.body;
  const model = health.model || {};
  els.modelName.textContent = model.id || `unavailable (${model.message || `HTTP ${answer.status}`})`;
  if (health.status !== 'ok') els.modelName.textContent += ' (service not ready)';
}

/** Offers the installed models when there is more than one; the default is preselected. */
export async function offerModels() {
  const answer = await getJson('api/models');
  const models = answer && answer.ok ? answer.body : [];
  if (!Array.isArray(models) || models.length < 2) return;
  for (const model of models) {
    const option = document.createElement('option');
    option.value = model.id;
    option.textContent = `${model.id} (${model.labels} labels${model.default ? ', default' : ''})`;
    option.selected = model.default === true;
    els.modelSelect.append(option);
  }
  els.modelChoice.hidden = false;
}
