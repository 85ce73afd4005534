/** The one number parser: what it accepts from text and JSON, and its sharp-style message. */
import { parseNumber } from '../../src/lib/numbers';

describe('parseNumber', () => {
  it.each([
    ['5', {}, 5],
    [' 42 ', { max: 100 }, 42],
    ['0', { min: 0 }, 0],
    [7, { text: false }, 7],
    ['0.25', { integer: false }, 0.25],
  ] as const)('reads %j with %j as %d', (value, options, expected) => {
    expect(parseNumber(value, 'n', options)).toBe(expected);
  });

  it.each([
    ['0', { max: 1000 }, "Expected an integer between 1 and 1000 for top but received '0'."],
    ['1e3', { max: 1000 }, "Expected an integer between 1 and 1000 for top but received '1e3'."],
    ['0x10', {}, "Expected an integer of at least 1 for top but received '0x10'."],
    ['', {}, "Expected an integer of at least 1 for top but received ''."],
    [2.5, {}, 'Expected an integer of at least 1 for top but received 2.5.'],
    ['5', { text: false }, "Expected an integer of at least 1 for top but received '5'."],
    [null, {}, 'Expected an integer of at least 1 for top but received null of type null.'],
    [[1], {}, 'Expected an integer of at least 1 for top but received [1] of type object.'],
    ['9007199254740993', {}, "Expected an integer of at least 1 for top but received '9007199254740993'."],
    ['0', { integer: false }, "Expected a positive number for top but received '0'."],
  ] as const)('refuses %j with %j', (value, options, message) => {
    expect(() => parseNumber(value, 'top', options)).toThrow(message);
  });

  it("raises the caller's error", () => {
    class UsageError extends Error {}
    expect(() => parseNumber('x', '--top', {}, (m) => new UsageError(m))).toThrow(UsageError);
  });
});
