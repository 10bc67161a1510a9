// `pnpm digits:seeds`: trains with the default settings on seeds 0–9 (a different split,
// initialisation and batch order each) and checks the accuracy promised in the README:
// ≥ 0.97 on the default seed and ≥ 0.95 on every seed. Exit code 1 when a seed falls short.
import { DIGITS_DEFAULTS, trainDigits } from './train-digits.js';
import { runCli } from '../lib/cli-args.js';

const SEEDS = Array.from({ length: 10 }, (_, i) => i);

function main(): void {
  const results = SEEDS.map((seed) => {
    const started = performance.now();
    const { final } = trainDigits({ ...DIGITS_DEFAULTS, seed });
    const seconds = (performance.now() - started) / 1000;
    console.log(`seed ${seed}: test accuracy ${final.testAccuracy.toFixed(4)}  (${seconds.toFixed(1)} s)`);
    return { seed, accuracy: final.testAccuracy };
  });
  const failures = results.filter(({ seed, accuracy }) => accuracy < (seed === DIGITS_DEFAULTS.seed ? 0.97 : 0.95));
  const worst = Math.min(...results.map((r) => r.accuracy));
  console.log(`min ${worst.toFixed(4)}, mean ${(results.reduce((a, r) => a + r.accuracy, 0) / results.length).toFixed(4)}`);
  if (failures.length > 0) {
    console.log(`short of the target: ${failures.map((f) => `seed ${f.seed}`).join(', ')}`);
    process.exitCode = 1;
  } else console.log(`ok: ≥ 0.97 on seed ${DIGITS_DEFAULTS.seed}, ≥ 0.95 on seeds 0–9`);
}

void runCli(main);
