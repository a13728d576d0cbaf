#!/usr/bin/env node
// Runs the whole jest suite and ends with one plain "tests: N passed, N failed" line,
// so a reader (or CI) sees the verdict without scrolling. Extra arguments go to jest.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// A fresh machine may lack the programs the integration tests start (redis-server, …).
const deps = spawnSync('bash', [new URL('./install-system-deps.sh', import.meta.url).pathname], { stdio: 'inherit' });
if (deps.status !== 0) process.exit(deps.status ?? 1);

const dir = mkdtempSync(join(tmpdir(), 'liveline-jest-'));
const results = join(dir, 'results.json');
const jest = spawnSync(process.execPath, ['node_modules/jest/bin/jest.js', '--json', `--outputFile=${results}`, ...process.argv.slice(2)], { stdio: 'inherit' });
let summary = 'tests: no results (jest did not finish)';
try {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  summary = `tests: ${r.numPassedTests} passed, ${r.numFailedTests} failed${r.numPendingTests ? `, ${r.numPendingTests} skipped` : ''}`;
} catch (err) {
  console.error(`could not read jest results: ${err}`);
}
rmSync(dir, { recursive: true, force: true });
console.log(summary);
process.exit(jest.status ?? 1);
