/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/__tests__'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }] },
  testTimeout: 20000,
  // A test worker's heap grows with every file it runs (600-760 MB by the end of the suite);
  // major GC pauses at that size stalled the in-process servers of the timing tests (drain,
  // resume-flood) by hundreds of ms. A worker past this is replaced between files.
  workerIdleMemoryLimit: '400MB',
  globalSetup: '<rootDir>/__tests__/global-setup.ts',
};
