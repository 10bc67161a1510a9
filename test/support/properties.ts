// fast-check settings for the whole suite. `PROPERTY_RUNS` scales every property's numRuns
// (the defaults are sized for CI: the suite runs in well under two minutes on two cores);
// `PROPERTY_SEED` replays a run. The seed is printed once per test file, and fast-check prints
// the seed and shrink path of any failure in its error message.
import fc from 'fast-check';

const runsFromEnv = Number(process.env.PROPERTY_RUNS);
/** Multiplier for every property's default numRuns: PROPERTY_RUNS / 100 (default 1). */
const scale = Number.isFinite(runsFromEnv) && runsFromEnv > 0 ? runsFromEnv / 100 : 1;
const seedFromEnv = Number(process.env.PROPERTY_SEED);
/** The seed of every property in this process. */
export const seed = Number.isInteger(seedFromEnv) ? seedFromEnv : (Date.now() ^ (Math.random() * 0x100000000)) | 0;

fc.configureGlobal({ seed, numRuns: runs(100), endOnFailure: false });

let announced = false;
/** Prints the seed (once per file) so that a failing run can be replayed exactly. */
export function announceSeed(file: string): void {
  if (announced) return;
  announced = true;
  console.log(`[${file}] property seed ${seed} (replay with PROPERTY_SEED=${seed}); runs x${scale}`);
}

/**
 * numRuns for one property: its CI default, scaled by PROPERTY_RUNS/100.
 * `PROPERTY_RUNS=1000` runs every property ten times as often as CI does.
 */
export function runs(ciDefault: number): number {
  return Math.max(1, Math.round(ciDefault * scale));
}

export { fc };
