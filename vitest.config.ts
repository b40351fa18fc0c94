import { pathToFileURL } from 'node:url';
import { relative, resolve } from 'node:path';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { worldOffsetMs } from './test/support/world-offset.mjs';

// The suite's clock (test/support/world-offset.mjs): .ci/run sets it for PostgreSQL too.
process.env['EXDEF_TEST_WORLD_OFFSET_MS'] ??= String(worldOffsetMs());
// Every node process a test starts (the CLI, the demo) runs in the same world.
const worldClock = resolve('test/support/world-clock.mjs');
if (!(process.env['NODE_OPTIONS'] ?? '').includes(worldClock)) {
  process.env['NODE_OPTIONS'] = `${process.env['NODE_OPTIONS'] ?? ''} --import=${pathToFileURL(worldClock).href}`.trim();
}

/**
 * The longest files first, so that two workers finish together instead of one running a long
 * file alone at the end (longest processing time first). Without a results cache (a clean clone,
 * CI) vitest would order files by size, and the small property tests, which run longest, would
 * start last. Measured durations on two cores (2026-12-03), longest first; the rest follow by
 * vitest's order.
 */
const LONGEST_FIRST = [
  'test/property/non-interference.test.ts',
  'test/e2e/cli-run.test.ts',
  'test/e2e/run-faults.test.ts',
  'test/e2e/cli-test.test.ts',
  'test/e2e/deliver-run.test.ts',
  'test/unit/parse/fuzz.test.ts',
  'test/adversarial/delta-comparison-review.test.ts',
  'test/e2e/run-production.test.ts',
  'test/e2e/cli-exit-codes.test.ts',
  'test/property/delta-nights.test.ts',
  'test/e2e/cli-foundation.test.ts',
  'test/e2e/report-browser.test.ts',
  'test/unit/parse/round-trip.property.test.ts',
  'test/e2e/cli-pipe.test.ts',
  'test/e2e/run-approvals.test.ts',
  'test/e2e/run-delta-comparison.test.ts',
  'test/e2e/getting-started.test.ts',
  'test/unit/db/pglite-template.test.ts',
  'test/property/non-interference-probes.test.ts',
  'test/unit/sql/semantics.test.ts',
  'test/e2e/cli-language.test.ts',
  'test/e2e/cli-compile.test.ts',
  'test/e2e/cli-diff.test.ts',
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (spec: TestSpecification) => {
      const at = LONGEST_FIRST.indexOf(relative(spec.project.config.root, spec.moduleId));
      return at === -1 ? LONGEST_FIRST.length : at;
    };
    // A stable sort: files not named keep vitest's order after the named ones.
    return sorted.map((spec, i) => ({ spec, i })).sort((a, b) => rank(a.spec) - rank(b.spec) || a.i - b.i).map(({ spec }) => spec);
  }
}

/**
 * The files that replace a module (vi.mock) or spy on the process's streams: each runs in a
 * process of its own. Every other file shares its worker's process with the files before it, so
 * that the modules they all import (the compiler, the policy, PGlite) load once per worker rather
 * than once per file (about 1.5 s a file: 146 files took 554 s isolated).
 */
const ISOLATED = [
  'test/property/non-interference.test.ts',
  'test/property/non-interference-probes.test.ts',
  'test/unit/cli/direct-bundle.test.ts',
  'test/unit/approval/allowed-signers.test.ts',
];

export default defineConfig({
  test: {
    setupFiles: ['test/support/world-clock.mjs'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: 'forks',
    sequence: { sequencer: LongestFirst },
    // Three test files at a time on two cores: the files wait on child processes, PostgreSQL and
    // the SSH server for much of their time, and with two workers the cores were a fifth idle
    // (484 s with two workers, 432 s with three, CI=true on two idle cores, 2026-12-03). Each
    // may hold an embedded database in memory: three fit many times over in the CI machine's 24 GiB.
    maxWorkers: 3,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'shared', include: ['test/**/*.test.ts'], exclude: ISOLATED, isolate: false } },
      { extends: true, test: { name: 'isolated', include: ISOLATED, isolate: true } },
    ],
  },
});
