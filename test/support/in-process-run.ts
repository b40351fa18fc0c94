/**
 * A full run of a definition in this process, approved for every practice by the test provider,
 * on the reference catalogue as of TODAY, with no events printed: what the policy's run-time tests
 * (sensitive terms, k-anonymity, approvals) need. Any option can be given instead.
 */
import { referenceCatalogue } from '../../src/catalogue/load-catalogue.js';
import { runExtract } from '../../src/execute/run-extract.js';
import type { RunEvents, RunOptions } from '../../src/execute/run/run-options.js';
import { approvedProvider } from './approvals.js';
import { TODAY } from './compile.js';

export const NO_EVENTS: RunEvents = { warn: () => undefined, step: () => undefined, datasetStarted: () => undefined, datasetRows: () => undefined, datasetFinished: () => undefined };

export function runInProcess(o: Pick<RunOptions, 'file' | 'db' | 'out'> & Partial<RunOptions>): ReturnType<typeof runExtract> {
  const { approvals, ...given } = o;
  return runExtract({
    approvals: approvals ?? approvedProvider(o.file),
    catalogue: referenceCatalogue(),
    extractDate: TODAY,
    full: true,
    force: true,
    env: {},
    concurrency: 1,
    statementTimeoutSeconds: 120,
    events: NO_EVENTS,
    ...given,
  });
}
