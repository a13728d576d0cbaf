// Builds the server (dist/) and the SDK bundles (client-sdk/dist/) once per test run,
// because the tests start the built server as a new user would and load the served SDK.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export default function globalSetup(): void {
  execFileSync('npm', ['run', '--silent', 'build'], { stdio: 'inherit', cwd: join(__dirname, '..') });
}
