/**
 * The chaos run's plan (bench/chaos/plan.ts): one seed, one schedule; the doors' shares and the
 * issue's fault rates; the short form's minimum of kills and Azurite restarts.
 */
import { makePlan, planFaults, seededRandom, type ChaosPlan } from '../../../bench/chaos/plan';

const count = (plan: ChaosPlan, kind: string) => plan.faults.filter((f) => f.kind === kind).length;

describe('chaos plan', () => {
  it('is the same for the same seed and differs for another', () => {
    const a = makePlan({ seed: 7, images: 2000, seconds: 300, photos: 48 });
    expect(makePlan({ seed: 7, images: 2000, seconds: 300, photos: 48 })).toEqual(a);
    expect(makePlan({ seed: 8, images: 2000, seconds: 300, photos: 48 })).not.toEqual(a);
  });

  it('sends every image through one door, with rewrites, deletes, repeats and hostile files among them', () => {
    const plan = makePlan({ seed: 3, images: 10_000, seconds: 720, photos: 48 });
    const jobImages = plan.jobs.reduce((n, j) => n + j.images.length, 0);
    expect(plan.uploads.length + plan.drops.length + jobImages + plan.syncs.length).toBe(10_000);
    expect(plan.drops.filter((d) => d.writes.length > 1).length).toBeGreaterThan(200);
    expect(plan.drops.filter((d) => d.deleted).length).toBeGreaterThan(100);
    expect(
      plan.drops.filter((d) => 'photo' in d.writes[0] && d.writes[0].repeatOf !== undefined).length,
    ).toBeGreaterThan(50);
    const all = [...plan.uploads, ...plan.drops.flatMap((d) => d.writes), ...plan.syncs];
    expect(all.filter((c) => 'hostile' in c).length).toBeGreaterThan(100);
    // A repeat names a drop-folder write that came before it, whose bytes it carries.
    for (const [i, d] of plan.drops.entries()) {
      const first = d.writes[0];
      if ('photo' in first && first.repeatOf !== undefined) {
        expect(first.repeatOf).toBeLessThan(i);
        expect(plan.drops[first.repeatOf].writes[0]).toMatchObject({ photo: first.photo });
      }
    }
    expect(plan.jobs.filter((j) => j.cancelAfterSeconds !== undefined)).toHaveLength(1);
  });

  it("keeps the issue's fault rates over a full run", () => {
    const faults = planFaults(seededRandom(11), 720);
    const gaps = (kind: string) => {
      const at = faults.filter((f) => f.kind === kind).map((f) => f.at);
      return at.slice(1).map((t, i) => t - at[i]);
    };
    const within = (gap: number, lo: number, hi: number) => gap >= lo - 0.1 && gap <= hi + 0.1;
    expect(gaps('kill').every((gap) => within(gap, 10, 40))).toBe(true);
    expect(gaps('azurite-restart').every((gap) => within(gap, 60, 180))).toBe(true);
    expect(gaps('kill').length).toBeGreaterThan(15);
    expect(faults.every((f) => f.at < 720)).toBe(true);
  });

  it('gives a 150 s run at least 5 kills and 2 Azurite restarts, whatever the seed', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const plan = makePlan({ seed, images: 1500, seconds: 150, photos: 48 });
      expect(count(plan, 'kill')).toBeGreaterThanOrEqual(5);
      expect(count(plan, 'azurite-restart')).toBeGreaterThanOrEqual(2);
    }
  });
});
