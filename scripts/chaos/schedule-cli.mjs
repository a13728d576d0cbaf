// Prints seeded fault schedules as JSON: `node scripts/chaos/schedule-cli.mjs SEED:SECONDS:BACKEND:OVERLAP …`,
// one {kinds, component, plan} per argument; for __tests__/unit/chaos-schedule.test.ts (jest does not load ES modules).
import process from 'node:process';
import { COMPONENT, kindsFor, schedule } from './faults.mjs';

const out = process.argv.slice(2).map((spec) => {
  const [seed, seconds, backend = 'redis', overlap = '2'] = spec.split(':');
  const kinds = kindsFor(backend);
  return { kinds, component: COMPONENT, plan: schedule(Number(seed), Number(seconds), kinds, Number(overlap)) };
});
process.stdout.write(`${JSON.stringify(out)}\n`);
