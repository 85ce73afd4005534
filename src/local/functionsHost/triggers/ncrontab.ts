/**
 * Timer schedules as the Functions host reads them (TimerTriggerAttribute.Schedule):
 * - a six-field NCRONTAB expression "{second} {minute} {hour} {day} {month} {day-of-week}",
 *   with ranges, steps, lists and month and weekday names (`Mon-Fri`, `Jan`), evaluated by
 *   croner in NCrontab's way: a day must match both the day and the day-of-week fields
 *   (NCrontab's CrontabSchedule.TryGetNextOccurrence checks day, then day of week);
 * - or a TimeSpan ("00:05:00", "1.00:00:00"): the interval between runs;
 * - or `%Name%`, the app setting holding one of those.
 * Times are UTC, as in Azure, unless WEBSITE_TIME_ZONE names a time zone (IANA, as on Linux).
 */
import { Cron } from 'croner';
import { timeSpanMs } from '../../../lib/env';

export interface CronSchedule {
  next(after: Date): Date;
}

export interface ScheduleOptions {
  env?: Record<string, string | undefined>;
}

const TIME_SPAN = /^(\d+\.)?\d{1,2}:\d{1,2}:\d{1,2}(\.\d+)?$/;

export function parseNcrontab(expression: string, options: ScheduleOptions = {}): CronSchedule {
  const env = options.env ?? process.env;
  const setting = /^%(.+)%$/.exec(expression.trim());
  const text = setting ? env[setting[1]] : expression.trim();
  if (text === undefined || text === '')
    throw new Error(
      `The timer schedule "${expression}" names the app setting ${setting![1]}, which is not set.`,
    );
  if (TIME_SPAN.test(text)) {
    const interval = timeSpanMs(text);
    if (interval <= 0) throw new Error(`The timer schedule "${text}" is an empty interval.`);
    return { next: (after) => new Date(after.getTime() + interval) };
  }
  const fields = text.split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `Expected a 6-field NCRONTAB schedule "{second} {minute} {hour} {day} {month} {day-of-week}" or a TimeSpan like "00:05:00" but found "${text}".`,
    );
  }
  let cron: Cron;
  try {
    cron = new Cron(text, { mode: '6-part', domAndDow: true, timezone: env.WEBSITE_TIME_ZONE || 'UTC' });
  } catch (err) {
    throw new Error(
      `The timer schedule "${text}" is not a valid NCRONTAB expression: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  return {
    next(after) {
      const next = cron.nextRun(after);
      if (!next) throw new Error(`The schedule "${text}" has no occurrence after ${after.toISOString()}.`);
      return next;
    },
  };
}
