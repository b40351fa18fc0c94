/**
 * The settings a run's snapshot applies: a statement timeout, no JIT, and on PostgreSQL room for
 * sorts (work_mem 64MB); the embedded database keeps PostgreSQL's default (its WebAssembly heap
 * never gives back what a large sort grew it to).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { beginSnapshot, endSnapshot } from '../../../src/execute/snapshot.js';
import { scratchDatabase, testEngines, type ScratchDatabase } from '../../support/engines.js';

describe.each(testEngines())('the run snapshot on %s', (engine) => {
  let scratch: ScratchDatabase | undefined;
  afterAll(async () => scratch?.drop());

  it('applies the statement timeout, turns JIT off, and sets work_mem only where asked', async () => {
    scratch = await scratchDatabase(engine);
    // The server's own default, read outside a snapshot (4MB unless its configuration says otherwise).
    const serverDefault = await scratch.db.withSession(async (session) => (await session.query<{ work_mem: string }>("SELECT current_setting('work_mem') AS work_mem"))[0]!.work_mem);
    for (const workMemMb of [undefined, 64]) {
      const seen = await scratch.db.withSession(async (session) => {
        await beginSnapshot(session, { statementTimeoutSeconds: 90, ...(workMemMb ? { workMemMb } : {}) }, { export: false });
        const [row] = await session.query<{ timeout: string; jit: string; work_mem: string }>("SELECT current_setting('statement_timeout') AS timeout, current_setting('jit') AS jit, current_setting('work_mem') AS work_mem");
        await endSnapshot(session);
        return row!;
      });
      expect(seen.timeout).toBe('90s');
      expect(seen.jit).toBe('off');
      expect(seen.work_mem).toBe(workMemMb ? '64MB' : serverDefault);
    }
  });
});
