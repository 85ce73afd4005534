import { parseNcrontab } from '../../../src/local/functionsHost/triggers/ncrontab';

describe('NCRONTAB schedules', () => {
  const at = (iso: string) => new Date(iso);

  it('finds the next */15 second', () => {
    const next = parseNcrontab('*/15 * * * * *').next(at('2024-01-01T10:00:07'));
    expect(next).toEqual(at('2024-01-01T10:00:15'));
  });

  it('handles lists, ranges and hours', () => {
    const next = parseNcrontab('0 0,30 9-17 * * *').next(at('2024-01-01T17:30:00'));
    expect(next).toEqual(at('2024-01-02T09:00:00'));
  });

  it('honours the day of week (0 = Sunday)', () => {
    const next = parseNcrontab('0 0 8 * * 1').next(at('2024-01-03T12:00:00'));
    expect(next).toEqual(at('2024-01-08T08:00:00'));
  });

  it('rejects five-field cron with a message naming the six fields', () => {
    expect(() => parseNcrontab('*/5 * * * *')).toThrow(/6-field NCRONTAB/);
  });
});
