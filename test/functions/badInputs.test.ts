/**
 * Every bad input of the contract, through the real upload path: each ends `failed` with its
 * code on the first attempt, and nothing reaches a poison queue.
 */
import { requestUpload, terminalResult, upload } from '../support/api';
import * as img from '../support/images';
import { useLocalStack } from '../support/stack';
import type { UploadTicket } from '../../src/lib/uploads/createUpload';

const MAX_BYTES = 3_000_000;
const stack = useLocalStack({ env: { CLASSIFIER_MAX_BYTES: String(MAX_BYTES) } });

async function poisonCount(queue: string): Promise<number> {
  const client = stack.queues().getQueueClient(queue);
  if (!(await client.exists())) return 0;
  return (await client.getProperties()).approximateMessagesCount ?? 0;
}

describe('bad uploads', () => {
  it.each([
    ['empty_file', 'empty.jpg', () => Buffer.alloc(0)],
    ['unsupported_format', 'notes.jpg', () => img.TEXT],
    ['unsupported_format', 'drawing.png', () => img.SVG],
    ['unsupported_format', 'page.jpg', () => img.HTML],
    ['unsupported_format', 'noise.jpg', () => img.randomBytes(5000)],
    ['image_too_large', 'huge.png', () => img.pngWithHeader(30000, 30000)],
    ['corrupt_image', 'cut.jpg', img.truncatedJpeg],
    [
      'file_too_large',
      'big.jpg',
      () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff]), Buffer.alloc(MAX_BYTES)]),
    ],
  ] as const)('ends failed with %s (%s)', async (code, name, make) => {
    // The oversize file declares a small size: the server must check the real size, not trust the
    // client (and a blob larger than announced is file_too_large, as the README says). The others declare the truth.
    const bytes = await make();
    const ticket = await upload(
      stack.url,
      name,
      bytes,
      'image/jpeg',
      code === 'file_too_large' ? 1000 : bytes.length || 1,
    );
    const result = await terminalResult(ticket.statusUrl);
    expect(result).toMatchObject({ status: 'failed', error: { code }, source: { name } });
    expect(result.predictions).toBeUndefined();
  });

  it('ends failed with blob_not_found when the blob is gone before classification', async () => {
    const { json } = await requestUpload(stack.url, {
      fileName: 'gone.jpg',
      contentType: 'image/jpeg',
      size: 10,
    });
    const ticket = json as UploadTicket;
    const message = {
      id: ticket.id,
      container: 'uploads',
      blob: ticket.id,
      enqueuedAt: new Date().toISOString(),
    };
    await stack
      .queues()
      .getQueueClient('classify')
      .sendMessage(Buffer.from(JSON.stringify(message)).toString('base64'));
    const result = await terminalResult(ticket.statusUrl);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'blob_not_found' } });
  });

  it('never sends bad input to a poison queue', async () => {
    expect(await poisonCount('classify-poison')).toBe(0);
    expect(await poisonCount('webjobs-blobtrigger-poison')).toBe(0);
  });
});
