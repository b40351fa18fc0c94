import { Transform } from 'node:stream';

/**
 * A hold for tests of interruption: with `EXDEF_TEST_HOLD_DATASET=<dataset>` in the environment, a
 * run passes the first bytes of that dataset's CSV on, says so on stderr, and then waits (its event
 * loop free, so a signal is handled) until it is interrupted. The embedded engine extracts a test's
 * small data in milliseconds, so without it a test could not interrupt a run "while extracting"
 * reliably. It changes nothing else: a run without the variable never builds this stage.
 */
export const TEST_HOLD_VARIABLE = 'EXDEF_TEST_HOLD_DATASET';

export function testHold(dataset: string): Transform | undefined {
  if (process.env[TEST_HOLD_VARIABLE] !== dataset) return undefined;
  const hold = () => setInterval(() => undefined, 1 << 30);
  let passed = false;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (passed) return void hold();
      passed = true;
      process.stderr.write(`exdef: holding the run in ${dataset} (${TEST_HOLD_VARIABLE})\n`);
      done(null, chunk);
    },
    // Never resumes: the timer keeps the process alive until a signal ends it.
    flush: () => void hold(),
  });
}
