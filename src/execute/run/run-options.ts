import type { Catalogue } from '../../catalogue/catalogue.js';
import type { Database } from '../../db/database.js';
import type { DisclosureCheck, LinkedDisclosureCheck } from '../../disclosure/disclosure-checks.js';
import type { ExtractDefinition } from '../../ir/extract-definition.js';
import type { ApprovalSource } from '../../approval/practice-approvals.js';
import type { WrittenFile } from '../dataset-writer.js';
import type { Manifest } from './manifest.js';
import type { PreparedRun } from './prepare.js';

/** What a person watching is told as the run goes. */
export interface RunEvents {
  warn(message: string): void;
  step(message: string): void;
  datasetStarted(dataset: string): void;
  datasetRows(dataset: string, rows: number): void;
  datasetFinished(dataset: string, files: readonly WrittenFile[], seconds: number): void;
}

export interface RunOptions {
  file: string;
  db: Database;
  catalogue: Catalogue;
  /** The output directory: the extract and logs/ go here. */
  out: string;
  /** YYYY-MM-DD: the extract date; the population and today() are judged on it. */
  extractDate: string;
  full: boolean;
  /**
   * Run for these practices only (a subset of the definition's): always a full extract of them,
   * scoped; a delta definition's state records what it sent (run/plan.ts `commit`).
   */
  practices?: string[];
  /**
   * The provider's approvals (provider-config.ts): only practices whose approval of this
   * definition is valid are extracted; none given (no provider configuration) refuses the run.
   */
  approvals: ApprovalSource | undefined;
  force: boolean;
  /** A recipient certificate (PEM) to encrypt to, overriding the definition's. */
  encryptTo?: string;
  keysFile?: string;
  env: NodeJS.ProcessEnv;
  /** Datasets extracted at once (PostgreSQL only; each on its own connection, one snapshot). */
  concurrency: number;
  statementTimeoutSeconds: number;
  policyFile?: string;
  terminologyDir?: string;
  now?: () => Date;
  events: RunEvents;
  /**
   * Told the temporary directory while the run writes there (so a signal handler can remove it),
   * and `delivered` once the output is in place (after which an interruption is not a failed extract).
   */
  onPhase?: (phase: { work?: string; delivered: boolean }) => void;
  /** The checks already made by `prepareRun` (made here when absent). */
  prepared?: PreparedRun;
  /**
   * Called once the extract and its log are in place and before the delta state advances: `run`
   * puts the extract in the delivery outbox here (src/deliver/outbox.ts), so a state that advances
   * always has its output kept until delivered. A failure here fails the run, the state unchanged.
   */
  onPackaged?: (packaged: PackagedExtract) => Promise<void> | void;
}

/** A finished extract, as handed to `onPackaged`. */
export interface PackagedExtract {
  definition: ExtractDefinition;
  output: string;
  log: string;
  manifest: Manifest;
  encrypted: boolean;
}

export interface RunResult {
  status: 'COMPLETE';
  definition: { id: string; version: number; fingerprint: string };
  mode: 'full' | 'delta';
  reason: string;
  extractDate: string;
  snapshot: string;
  /** A run for some practices only (--practice): the practices whose rows it carries (manifest.scope). */
  scope?: { practices: string[] };
  /** The delivered file: the ZIP, or the .zip.enc. */
  output: string;
  log: string;
  encrypted: boolean;
  files: WrittenFile[];
  rows: number;
  bytes: number;
  disclosure: DisclosureCheck[];
  linkedDisclosure: LinkedDisclosureCheck[];
  seconds: number;
  warnings: string[];
  /** Set when the output is in place but the delta state could not be saved. */
  stateError?: string;
}
