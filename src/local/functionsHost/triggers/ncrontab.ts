/**
 * A small NCRONTAB reader for timer triggers: six fields "sec min hour day month day-of-week"
 * (the Functions host's format, NCrontab with seconds), each `*`, `n`, `a-b`, `*\/n`, `a-b/n` or a
 * comma list of those; day-of-week 0-6 from Sunday. Month and weekday names and TimeSpan
 * schedules ("00:05:00") are not supported. Times are local, as on a developer machine.
 */
export interface CronSchedule {
  next(after: Date): Date;
}

const ranges: [number, number][] = [
  [0, 59],
  [0, 59],
  [0, 23],
  [1, 31],
  [1, 12],
  [0, 6],
];

function parseField(text: string, [min, max]: [number, number]): Set<number> {
  const values = new Set<number>();
  for (const part of text.split(',')) {
    const m = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(part);
    if (!m) throw new Error(`Expected an NCRONTAB field like "*", "5", "1-5" or "*/10" but found "${part}".`);
    const from = m[1] === '*' ? min : Number(m[2]);
    const to = m[1] === '*' ? max : m[3] !== undefined ? Number(m[3]) : m[4] ? max : from;
    const step = m[4] ? Number(m[4]) : 1;
    if (from < min || to > max || step < 1)
      throw new Error(`NCRONTAB field "${part}" is outside ${min}-${max}.`);
    for (let v = from; v <= to; v += step) values.add(v);
  }
  return values;
}

export function parseNcrontab(expression: string): CronSchedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new Error(
      `Expected a 6-field NCRONTAB schedule "{second} {minute} {hour} {day} {month} {day-of-week}" but found "${expression}".`,
    );
  }
  const [sec, min, hour, day, month, dow] = fields.map((f, i) => parseField(f, ranges[i]));
  const dayMatches = (d: Date) => day.has(d.getDate()) && dow.has(d.getDay());
  return {
    next(after) {
      const t = new Date(after.getTime());
      t.setMilliseconds(0);
      t.setSeconds(t.getSeconds() + 1);
      for (let guard = 0; guard < 100_000; guard++) {
        if (!month.has(t.getMonth() + 1)) {
          t.setMonth(t.getMonth() + 1, 1);
          t.setHours(0, 0, 0);
        } else if (!dayMatches(t)) {
          t.setDate(t.getDate() + 1);
          t.setHours(0, 0, 0);
        } else if (!hour.has(t.getHours())) t.setHours(t.getHours() + 1, 0, 0);
        else if (!min.has(t.getMinutes())) t.setMinutes(t.getMinutes() + 1, 0);
        else if (!sec.has(t.getSeconds())) t.setSeconds(t.getSeconds() + 1);
        else return t;
      }
      throw new Error(`The schedule "${expression}" has no occurrence in the foreseeable future.`);
    },
  };
}
