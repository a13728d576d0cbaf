// Checks a recorded chaos run: `node scripts/chaos/check-cli.mjs RUN.json` (or `-` for stdin).
// Prints the violations as a JSON array of strings; exit 0 when there are none, 1 otherwise.
// Used to re-check a run written by `npm run chaos -- --out FILE`, and by the unit tests.
import { readFileSync } from 'node:fs';
import process from 'node:process';
import { check } from './checker.mjs';

const file = process.argv[2];
if (file === undefined) {
  process.stderr.write('usage: node scripts/chaos/check-cli.mjs RUN.json|-\n');
  process.exit(2);
}
const run = JSON.parse(readFileSync(file === '-' ? 0 : file, 'utf8'));
const violations = check(run);
process.stdout.write(`${JSON.stringify(violations, null, 2)}\n`);
process.exitCode = violations.length === 0 ? 0 : 1;
