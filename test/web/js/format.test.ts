/** The page's number, size, duration and CSV-cell formatting (web/js/format.js), without a browser. */
import {
  csvCell,
  formatBytes,
  formatChoices,
  formatDuration,
  formatLimit,
  formatMs,
  formatScore,
} from '../../../web/js/format.js';

it('writes sizes, limits, scores and times as people read them', () => {
  expect([0, 1023, 1024, 1536, 1024 * 1024, 3.25 * 1024 * 1024].map(formatBytes)).toEqual([
    '0 bytes',
    '1023 bytes',
    '1.0 KiB',
    '1.5 KiB',
    '1.0 MiB',
    '3.3 MiB',
  ]);
  expect(formatLimit(20 * 1024 * 1024)).toBe('20 MiB');
  expect(formatLimit(1536)).toBe('1.5 KiB');
  expect(formatScore(0.995123)).toBe('99.5 %');
  expect([formatMs(12.6), formatMs(undefined)]).toEqual(['13 ms', '–']);
  expect([0.2, 44.6, 60, 185].map(formatDuration)).toEqual(['1 s', '45 s', '1 min 0 s', '3 min 5 s']);
  expect([[], ['JPEG'], ['JPEG', 'PNG'], ['JPEG', 'PNG', 'WebP']].map(formatChoices)).toEqual([
    '',
    'JPEG',
    'JPEG or PNG',
    'JPEG, PNG or WebP',
  ]);
});

it('quotes CSV cells that need it and defuses cells a spreadsheet would run as a formula', () => {
  expect(csvCell('cat.png')).toBe('cat.png');
  expect(csvCell(0.5)).toBe('0.5');
  expect(csvCell('a, "b"')).toBe('"a, ""b"""');
  expect(csvCell('line\nbreak')).toBe('"line\nbreak"');
  for (const risky of ['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '＝1'])
    expect(csvCell(risky)).toBe(`'${risky}`);
  expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
});
