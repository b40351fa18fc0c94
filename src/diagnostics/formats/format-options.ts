import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { RuleMeta } from '../../policy/rule.js';
import type { Severity, Stage } from '../diagnostic.js';

/** The tool that produced the results, as SARIF and the reports name it. */
export interface ToolInfo {
  name: string;
  version: string;
  /** The project's home page (SARIF `informationUri`); omitted when unknown. */
  informationUri?: string;
  /** Base URL of the rule pages (`<base><rule-id>.md`), e.g. a repository's docs/rules/; omitted when unknown. */
  rulesBaseUri?: string;
  /** The README and rule pages of the installed copy (file: URIs): SARIF's links when the two above are unknown. */
  installedInformationUri?: string;
  installedRulesBaseUri?: string;
}

/** A diagnostic code of an earlier stage (syntax, schema, names and types), from its definition. */
export interface CodeInfo {
  severity: Severity;
  stage: Stage;
  /** Its message formatter (define-codes.ts), shown with ‹placeholders› in SARIF's description. */
  message?: (params: never) => string;
}

/**
 * What a format needs besides the results. The formats are pure functions of these: the
 * dispatcher (index.ts) fills in the defaults from the running exdef.
 */
export interface FormatContext {
  /** The policy rules (their meta): rule descriptions and help in SARIF, JUnit and Markdown. */
  rules: readonly RuleMeta[];
  tool: ToolInfo;
  /** The working directory: relative paths of the results are relative to it. */
  cwd: string;
  /** SARIF's %SRCROOT%, which its paths are relative to: the git top level of the files (repository-root.ts sourceRoot). */
  repositoryRoot?: string;
  /** Every diagnostic code defined by the stages before the policy. */
  codes: ReadonlyMap<string, CodeInfo>;
  /** `--max-warnings`: when warnings exceed it the run fails, and JUnit reports them as failures. */
  maxWarnings?: number;
}

/**
 * A file path as CI tools want it: relative to `cwd`, with forward slashes. A path outside `cwd`
 * stays absolute (`external` is then true).
 */
export function repoPath(file: string, cwd: string): { path: string; external: boolean } {
  const absolute = resolve(cwd, file);
  const rel = relative(cwd, absolute);
  if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
    return { path: absolute.split(sep).join('/'), external: true };
  }
  return { path: rel.split(sep).join('/'), external: false };
}

/** The rule page of a policy rule, when the tool knows where its docs are published. */
export function ruleHelpUri(tool: ToolInfo, id: string, installed = false): string | undefined {
  const base = tool.rulesBaseUri ?? (installed ? tool.installedRulesBaseUri : undefined);
  return base ? `${base}${encodeURIComponent(id)}.md` : undefined;
}

/** The codes page's entry of a code that is not a policy rule (docs/rules/codes.md). */
export function codeHelpUri(tool: ToolInfo, code: string, installed = false): string | undefined {
  const base = tool.rulesBaseUri ?? (installed ? tool.installedRulesBaseUri : undefined);
  return base ? `${base}codes.md#${encodeURIComponent(code)}` : undefined;
}

export const severityWord: Record<Severity, string> = { error: 'error', warning: 'warning', info: 'info' };

/** The message and its hints, one per line. */
export function messageWithHints(message: string, hints: readonly string[] | undefined): string {
  return [message, ...(hints ?? []).map((h) => `hint: ${h}`)].join('\n');
}
