// What the page says about a file: its status line and, for a failure, what to do next and
// whether trying again can help. Keyed by the contract's error codes plus the page's own
// (network, timeout, ...). Pure: unit-tested in jest.

const ERROR_TEXT = {
  empty_file: 'This file is empty (0 bytes). Choose an image that has content.',
  file_too_large: 'This file is larger than the server accepts (20 MiB by default). Resize or compress it.',
  unsupported_format:
    'This file is not an image the classifier can read. Use JPEG, PNG, WebP, GIF, TIFF or AVIF.',
  image_too_large: 'This image has too many pixels (over 50 megapixels). Scale it down and try again.',
  corrupt_image: 'This image looks damaged or truncated and could not be decoded. Try saving it again.',
  blob_not_found: 'The uploaded file disappeared before it could be classified. Upload it again.',
  internal_error: 'Something went wrong on the server while classifying this image. Try again.',
  bad_request: 'The server refused the upload request.',
  not_found: 'The server no longer knows this upload (its result expired or was removed).',
  network: 'The connection failed. Check your network, then try again.',
  upload_failed: 'Storage refused the upload. The upload link may have expired; try again.',
  request_failed: 'The server could not start the upload. Try again in a moment.',
  timeout: 'No result after 2 minutes. The server may be busy; check again.',
  interrupted: 'The page was reloaded before this file finished uploading. Choose the file again.',
};

/** Failures worth uploading again. Bad input (unsupported_format, corrupt_image, ...) would fail again. */
const RETRY_BY_UPLOAD = new Set([
  'network',
  'upload_failed',
  'request_failed',
  'internal_error',
  'blob_not_found',
]);
/** Failures where the bytes are in storage and only the answer is missing. */
const RETRY_BY_POLLING = new Set(['timeout']);

export function humanError(error) {
  return ERROR_TEXT[error.code] || error.message || ERROR_TEXT.internal_error;
}

/** 'upload' (send the file again), 'poll' (ask for the result again) or '' (it would fail again). */
export function retryKind(item, hasFile) {
  if (item.phase !== 'failed' || !item.error) return '';
  if (RETRY_BY_POLLING.has(item.error.code)) return item.statusUrl ? 'poll' : '';
  return RETRY_BY_UPLOAD.has(item.error.code) && hasFile ? 'upload' : '';
}

const STATUS_TEXT = {
  // Short enough for one line next to the thumbnail at 360 px.
  queued: 'Waiting to upload…',
  requesting: 'Preparing upload…',
  awaiting_upload: 'Uploaded, waiting…',
  queuedOnServer: 'Queued…',
  processing: 'Classifying…',
  succeeded: 'Done',
  failed: 'Failed',
};

export function statusText(item) {
  switch (item.phase) {
    case 'uploading':
      return `Uploading ${Math.floor((item.progress || 0) * 100)} %`;
    case 'polling': {
      const s = item.result && item.result.status;
      if (s === 'queued') return STATUS_TEXT.queuedOnServer;
      return STATUS_TEXT[s] || STATUS_TEXT.awaiting_upload;
    }
    case 'done':
      return STATUS_TEXT.succeeded;
    case 'failed':
      return STATUS_TEXT.failed;
    default:
      return STATUS_TEXT[item.phase] || '';
  }
}

export const NETWORK_TEXT = ERROR_TEXT.network;
