import { parseNcrontab } from '../../../src/local/functionsHost/triggers/ncrontab';

describe('timer schedules', () => {
  const at = (iso: string) => new Date(iso);
  const utc = { env: {} };

  it('finds the next */15 second', () => {
    expect(parseNcrontab('*/15 * * * * *', utc).next(at('2024-01-01T10:00:07Z'))).toEqual(
      at('2024-01-01T10:00:15Z'),
    );
  });

  it('handles lists, ranges and hours, in UTC as Azure does', () => {
    const next = parseNcrontab('0 0,30 9-17 * * *', utc).next(at('2024-01-01T17:30:00Z'));
    expect(next).toEqual(at('2024-01-02T09:00:00Z'));
  });

  it('honours the day of week (0 = Sunday) and weekday and month names', () => {
    expect(parseNcrontab('0 0 8 * * 1', utc).next(at('2024-01-03T12:00:00Z'))).toEqual(
      at('2024-01-08T08:00:00Z'),
    );
    // Friday 2024-01-05 after 9:30 -> Monday 2024-01-08 at 9:30.
    expect(parseNcrontab('0 30 9 * * Mon-Fri', utc).next(at('2024-01-05T10:00:00Z'))).toEqual(
      at('2024-01-08T09:30:00Z'),
    );
    expect(parseNcrontab('0 0 0 1 Jan *', utc).next(at('2024-03-01T00:00:00Z'))).toEqual(
      at('2025-01-01T00:00:00Z'),
    );
  });

  it('needs both the day and the day of week to match, as NCrontab does', () => {
    // The first Monday of a month: days 1-7 that are Mondays (2024-04-01 is a Monday, then 2024-05-06).
    expect(parseNcrontab('0 0 0 1-7 * Mon', utc).next(at('2024-04-02T00:00:00Z'))).toEqual(
      at('2024-05-06T00:00:00Z'),
    );
  });

  it('reads a TimeSpan as the interval between runs', () => {
    expect(parseNcrontab('00:05:00', utc).next(at('2024-01-01T10:00:07Z'))).toEqual(
      at('2024-01-01T10:05:07Z'),
    );
    expect(parseNcrontab('1.00:00:00', utc).next(at('2024-01-01T10:00:00Z'))).toEqual(
      at('2024-01-02T10:00:00Z'),
    );
  });

  it('reads %Setting% from the app settings, and WEBSITE_TIME_ZONE', () => {
    const env = { CLEANUP_SCHEDULE: '0 0 3 * * *', WEBSITE_TIME_ZONE: 'Europe/Paris' };
    // 03:00 in Paris in January is 02:00 UTC.
    expect(parseNcrontab('%CLEANUP_SCHEDULE%', { env }).next(at('2024-01-01T12:00:00Z'))).toEqual(
      at('2024-01-02T02:00:00Z'),
    );
    expect(() => parseNcrontab('%MISSING%', { env })).toThrow(/MISSING, which is not set/);
  });

  it.each([
    ['*/5 * * * *', /6-field NCRONTAB/],
    ['0 61 * * * *', /not a valid NCRONTAB expression/],
  ])('rejects %s with a message that says why', (schedule, message) => {
    expect(() => parseNcrontab(schedule, utc)).toThrow(message);
  });
});
