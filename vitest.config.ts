import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

/** The fixtures' date: the suite runs as if the clock said it (test/support/world-clock.mjs). */
const WORLD_DATE = '2026-11-21';
const realToday = new Date().toISOString().slice(0, 10);
process.env['EXDEF_TEST_WORLD_OFFSET_MS'] ??= String(Date.parse(`${WORLD_DATE}T00:00:00Z`) - Date.parse(`${realToday}T00:00:00Z`));
// Every node process a test starts (the CLI, the demo) runs in the same world.
const worldClock = resolve('test/support/world-clock.mjs');
if (!(process.env['NODE_OPTIONS'] ?? '').includes(worldClock)) {
  process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --import=${pathToFileURL(worldClock).href}`.trim();
}

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/world-clock.mjs'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: two test files at a time (each may hold an embedded database in memory).
    maxWorkers: 2,
    reporters: process.env['CI'] ? ['default'] : ['default'],
  },
});
