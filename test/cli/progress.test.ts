/**
 * The progress bar as a terminal shows it: every frame, the first included, has its numbers
 * filled in (a first frame of `classify submit` once read "{uploaded} uploaded").
 */
import { PassThrough } from 'node:stream';
import { startProgress } from '../../src/cli/progress';

/** A stream that says it is a terminal and keeps what is written to it. */
function fakeTerminal(): { stream: NodeJS.WriteStream; text: () => string } {
  const pass = new PassThrough();
  const chunks: string[] = [];
  pass.on('data', (c: Buffer) => chunks.push(c.toString()));
  Object.assign(pass, {
    isTTY: true,
    columns: 120,
    cursorTo: () => true,
    clearLine: () => true,
    moveCursor: () => true,
  });
  return { stream: pass as unknown as NodeJS.WriteStream, text: () => chunks.join('') };
}

it("fills the label's own tokens from the first frame on", () => {
  const terminal = fakeTerminal();
  const progress = startProgress(41, {
    label: 'done | {uploaded} uploaded',
    payload: { uploaded: 0 },
    stream: terminal.stream,
  });
  progress.update(3, { uploaded: 5 });
  progress.stop();
  const frames = terminal.text();
  expect(frames).toMatch(/0\/41 done \| 0 uploaded \| 0 failed \| ETA --/);
  expect(frames).toMatch(/3\/41 done \| 5 uploaded/);
  expect(frames).not.toMatch(/\{\w+\}/);
});
