import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RULES } from '../../policy/rules/index.js';
import { packageRoot } from '../../resources.js';
import { registeredCodes } from '../define-codes.js';
import type { Palette } from '../render-terminal.js';
import type { CodeInfo, FormatContext, ToolInfo } from './format-options.js';
import { formatGithub } from './github.js';
import { formatJson } from './json.js';
import { formatJunit } from './junit.js';
import type { LintFileResult } from './lint-result.js';
import { formatMarkdown } from './markdown.js';
import { sourceRoot } from './repository-root.js';
import { formatSarif } from './sarif.js';
import { formatStylish } from './stylish.js';

/** The output formats of `exdef lint --format`. */
export const LINT_FORMATS = ['stylish', 'json', 'sarif', 'github', 'junit', 'markdown'] as const;
export type LintFormat = (typeof LINT_FORMATS)[number];

/** What each format is for, in a word or two (`--help`). */
export const LINT_FORMAT_HELP: Record<LintFormat, string> = {
  stylish: 'terminal',
  json: 'scripts',
  sarif: 'GitHub code scanning',
  github: 'Actions annotations',
  junit: 'CI test reports',
  markdown: 'step summary',
};

export function isLintFormat(name: string): name is LintFormat {
  return (LINT_FORMATS as readonly string[]).includes(name);
}

export interface LintFormatOptions extends Partial<FormatContext> {
  /** Colours of the stylish format (default: by whether stdout is a terminal). */
  palette?: Palette;
}

/**
 * Renders lint results in one of the formats. The formats are pure functions; what they need
 * from the running exdef (the policy rules, the version, the working directory, the codes of the
 * earlier stages) is filled in here unless given.
 */
export function formatLintResults(format: LintFormat, results: readonly LintFileResult[], options: LintFormatOptions = {}): string {
  const context = (): FormatContext => ({
    rules: options.rules ?? RULES.map((rule) => rule.meta),
    tool: options.tool ?? exdefTool(),
    cwd: options.cwd ?? process.cwd(),
    repositoryRoot: options.repositoryRoot ?? sourceRoot(options.cwd ?? process.cwd(), results.flatMap((r) => [r.file, ...r.diagnostics.flatMap((d) => (d.span ? [d.span.file] : []))])),
    codes: options.codes ?? (registeredCodes() as ReadonlyMap<string, CodeInfo>),
    ...(options.maxWarnings !== undefined ? { maxWarnings: options.maxWarnings } : {}),
  });
  switch (format) {
    case 'stylish':
      return options.palette ? formatStylish(results, options.palette) : formatStylish(results);
    case 'json':
      return formatJson(results);
    case 'sarif':
      return formatSarif(results, context());
    case 'github':
      return formatGithub(results, context());
    case 'junit':
      return formatJunit(results, context());
    case 'markdown':
      return formatMarkdown(results, context());
    default: {
      const unknown: never = format;
      throw new Error(`internal: unknown output format ${String(unknown)}`);
    }
  }
}

let tool: ToolInfo | undefined;

/**
 * exdef's name and version from its package.json; its home page and rule docs when the package
 * names them (`homepage`; `repository` on GitHub → docs/rules/ on the main branch).
 */
export function exdefTool(): ToolInfo {
  if (tool) return tool;
  const pkg = JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as {
    version?: string;
    homepage?: string;
    repository?: string | { url?: string };
  };
  tool = { name: 'exdef', version: pkg.version ?? '0.0.0' };
  const repository = typeof pkg.repository === 'string' ? pkg.repository : pkg.repository?.url;
  const github = repository?.match(/github\.com[/:]([\w.-]+)\/([\w.-]+?)(?:\.git)?\/?$/) ?? repository?.match(/^github:([\w.-]+)\/([\w.-]+)$/);
  if (github) tool.rulesBaseUri = `https://github.com/${github[1]}/${github[2]}/blob/main/docs/rules/`;
  if (pkg.homepage) tool.informationUri = pkg.homepage;
  else if (github) tool.informationUri = `https://github.com/${github[1]}/${github[2]}`;
  // The pages that ship with this copy of exdef, for SARIF when package.json names no published
  // home: every rule still links to its docs/rules page (docs/ci.md says how to publish them).
  tool.installedInformationUri = pathToFileURL(join(packageRoot, 'README.md')).href;
  tool.installedRulesBaseUri = `${pathToFileURL(join(packageRoot, 'docs', 'rules')).href}/`;
  return tool;
}
