/**
 * `app.timer` functions: run at each NCRONTAB occurrence, and once at start with `runOnStartup`.
 * The input is the host's TimerInfo JSON ({Schedule:{AdjustForDST}, ScheduleStatus, IsPastDue}),
 * which the library camel-cases (`InvocationModel.ts`). Unlike the host, schedule status is not
 * persisted (`useMonitor` is ignored), and runs of one function never overlap (the host's
 * singleton lock on timers, locally per process).
 */
import { invokeFunction } from '../invoke';
import { sleep } from '../inflight';
import { typedJson } from '../typedData';
import type { BoundFunction, TriggerContext } from './context';
import { parseNcrontab } from './ncrontab';

export async function runTimerTrigger(
  ctx: TriggerContext,
  { fn, triggerName }: BoundFunction,
): Promise<void> {
  const binding = fn.metadata.bindings[triggerName];
  const schedule = parseNcrontab(String(binding.schedule));
  let last: Date | undefined;
  const fire = async (isPastDue: boolean) => {
    const now = new Date();
    const status = {
      Last: (last ?? now).toISOString(),
      Next: schedule.next(now).toISOString(),
      LastUpdated: now.toISOString(),
    };
    last = now;
    const timerInfo = { Schedule: { AdjustForDST: true }, ScheduleStatus: status, IsPastDue: isPastDue };
    await ctx.inflight.track(
      invokeFunction(
        ctx.registry,
        fn,
        { inputData: [{ name: triggerName, data: typedJson(timerInfo) }], triggerMetadata: {} },
        ctx.logger,
        { timeoutMs: ctx.config.functionTimeoutMs },
      ),
    );
  };
  if (binding.runOnStartup === true) await fire(false);
  while (!ctx.signal.aborted) {
    const due = schedule.next(new Date());
    await sleep(due.getTime() - Date.now(), ctx.signal);
    if (ctx.signal.aborted) break;
    await fire(Date.now() - due.getTime() > 1000);
  }
}
