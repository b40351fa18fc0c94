import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // Two cores: two test files at a time (each may hold an embedded database in memory).
    maxWorkers: 2,
    reporters: process.env['CI'] ? ['default'] : ['default'],
  },
});
