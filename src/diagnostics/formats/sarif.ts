import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { RuleMeta } from '../../policy/rule.js';
import { sortDiagnostics, type Diagnostic, type Severity, type Stage } from '../diagnostic.js';
import { codeHelpUri, messageWithHints, repoPath, ruleHelpUri, type CodeInfo, type FormatContext } from './format-options.js';
import { messageTemplate, STAGE_SUBJECTS } from '../code-docs.js';
import type { LintFileResult } from './lint-result.js';

/**
 * SARIF 2.1.0 (OASIS), as GitHub code scanning ingests it: one run; the tool's rules are every
 * policy rule (with its rationale as help) followed by the codes of earlier stages that occur;
 * each result names its rule, level, message (with hints) and a location relative to
 * %SRCROOT% (the git top level that holds the files, or the working directory outside git).
 * GitHub rejects a whole upload if any result has no location, so a finding without a span is
 * placed at line 1 of the definition file it was found in.
 */
export function formatSarif(results: readonly LintFileResult[], context: FormatContext): string {
  const rules: SarifRule[] = context.rules.map((meta) => policyDescriptor(meta, context));
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const otherCodes = [...new Set(results.flatMap((r) => r.diagnostics.map((d) => d.code)))].filter((code) => !ruleIndex.has(code)).sort();
  for (const code of otherCodes) {
    const first = results.flatMap((r) => r.diagnostics).find((d) => d.code === code) as Diagnostic;
    const known = context.codes.get(code);
    ruleIndex.set(code, rules.length);
    rules.push(stageDescriptor(code, known?.stage ?? first.stage, known?.severity ?? first.severity, known, context));
  }

  // Paths are relative to the repository root (%SRCROOT%), whatever directory exdef ran in.
  const root = context.repositoryRoot ?? context.cwd;
  const located = (file: string) => repoPath(resolve(context.cwd, file), root);
  const seen = new Map<string, number>();
  const sarifResults = results.flatMap((fileResult) =>
    sortDiagnostics(fileResult.diagnostics).map((d) => {
      const where = located(d.span ? d.span.file : fileResult.file);
      const region = d.span
        ? {
            startLine: Math.max(1, d.span.start.line),
            startColumn: Math.max(1, d.span.start.column),
            endLine: Math.max(1, d.span.end.line, d.span.start.line),
            endColumn: Math.max(1, d.span.end.column, d.span.end.line > d.span.start.line ? 1 : d.span.start.column),
          }
        : { startLine: 1 };
      // Stable across commits that move the finding to another line: rule, file and message.
      const key = `${d.code}\u0000${where.path}\u0000${d.message}`;
      const occurrence = (seen.get(key) ?? 0) + 1;
      seen.set(key, occurrence);
      const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
      return {
        ruleId: d.code,
        ruleIndex: ruleIndex.get(d.code) as number,
        level: sarifLevel(d.severity),
        message: { text: messageWithHints(d.message, d.hints) },
        locations: [{ physicalLocation: { artifactLocation: artifactLocation(where), region } }],
        partialFingerprints: { 'exdefFinding/v1': `${hash}:${occurrence}` },
        properties: { stage: d.stage, ...(d.span ? {} : { wholeFile: true }) },
      };
    }),
  );

  const driver: Record<string, unknown> = { name: context.tool.name, version: context.tool.version, semanticVersion: context.tool.version };
  const informationUri = context.tool.informationUri ?? context.tool.installedInformationUri;
  if (informationUri) driver['informationUri'] = informationUri;
  driver['rules'] = rules;
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver },
        invocations: [{ executionSuccessful: true }],
        originalUriBaseIds: { '%SRCROOT%': { uri: directoryUri(root) } },
        columnKind: 'utf16CodeUnits',
        results: sarifResults,
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri?: string;
  defaultConfiguration: { level: SarifLevel };
  properties: Record<string, unknown>;
}

type SarifLevel = 'error' | 'warning' | 'note';

function sarifLevel(severity: Severity): SarifLevel {
  return severity === 'error' ? 'error' : severity === 'warning' ? 'warning' : 'note';
}

/** GitHub's `problem.severity` property: error, warning or recommendation. */
function problemSeverity(severity: Severity): string {
  return severity === 'info' ? 'recommendation' : severity;
}

/** `sensitive-codes` → `SensitiveCodes` (SARIF's `name` is an identifier-like word). */
function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
}

function policyDescriptor(meta: RuleMeta, context: FormatContext): SarifRule {
  const severity = meta.hard ? 'error (hard rule: no policy file or exemption can lower or lift it)' : `${meta.defaultSeverity} by default`;
  const text = [meta.description, `Why: ${meta.rationale}`, `What triggers it: ${meta.triggers}`, `Source: ${meta.source}`, `Severity: ${severity}.`, `Run \`exdef explain ${meta.id}\` for examples.`].join('\n\n');
  const markdown = [
    meta.description,
    `**Why.** ${meta.rationale}`,
    `**What triggers it.** ${meta.triggers}`,
    `**Source:** ${meta.source}. **Severity:** ${severity}. **Category:** ${meta.category}.`,
    `Run \`exdef explain ${meta.id}\` for a failing and a passing example.`,
  ].join('\n\n');
  const rule: SarifRule = {
    id: meta.id,
    name: pascalCase(meta.id),
    shortDescription: { text: meta.description },
    fullDescription: { text: `${meta.rationale} Triggered by: ${meta.triggers}` },
    help: { text, markdown },
    defaultConfiguration: { level: sarifLevel(meta.defaultSeverity) },
    properties: {
      category: meta.category,
      tags: [...new Set(['im1-policy', meta.category, ...(meta.hard ? ['hard'] : [])])],
      'problem.severity': problemSeverity(meta.defaultSeverity),
      hard: meta.hard,
    },
  };
  const helpUri = ruleHelpUri(context.tool, meta.id, true);
  if (helpUri) rule.helpUri = helpUri;
  return rule;
}


/** A descriptor for a code of a stage before the policy (syntax, schema, names and types). */
function stageDescriptor(code: string, stage: Stage, severity: Severity, spec: CodeInfo | undefined, context: FormatContext): SarifRule {
  const subject = STAGE_SUBJECTS[stage] ?? `found by the ${stage} stage`;
  const template = spec?.message ? messageTemplate({ message: spec.message }) : undefined;
  const text = `exdef ${stage} check \`${code}\`: ${subject}.${template ? ` It reports: ${template}` : ''} The message says what is wrong and a hint says how to fix it.`;
  const rule: SarifRule = {
    id: code,
    name: pascalCase(code),
    shortDescription: { text: `${subject[0]?.toUpperCase()}${subject.slice(1)} (${code})` },
    fullDescription: { text },
    help: { text, markdown: text },
    defaultConfiguration: { level: sarifLevel(severity) },
    properties: { category: stage, tags: ['exdef', stage], 'problem.severity': problemSeverity(severity) },
  };
  const helpUri = codeHelpUri(context.tool, code, true);
  if (helpUri) rule.helpUri = helpUri;
  return rule;
}

function artifactLocation(where: { path: string; external: boolean }): { uri: string; uriBaseId?: string } {
  if (where.external) return { uri: pathToFileURL(where.path).href };
  return { uri: where.path.split('/').map(encodeURIComponent).join('/'), uriBaseId: '%SRCROOT%' };
}

function directoryUri(dir: string): string {
  const href = pathToFileURL(dir).href;
  return href.endsWith('/') ? href : `${href}/`;
}
