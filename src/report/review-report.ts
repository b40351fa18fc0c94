import type { Classification } from '../catalogue/catalogue.js';
import type { ApprovalStatus, PracticeDecision } from '../approval/approval-status.js';
import { countBySeverity, hasErrors, sortDiagnostics, type Diagnostic, type Severity } from '../diagnostics/diagnostic.js';
import { changedComparison, type FileComparison } from '../diff/file-comparison.js';
import { describeTransform } from '../diff/identifiability.js';
import { printIrExpression } from '../diff/print-ir-expression.js';
import type { Exemption, ExtractDefinition } from '../ir/extract-definition.js';
import { definitionDigest, fingerprint } from '../ir/fingerprint.js';
import { linkedGroups, measuredMembers } from '../disclosure/linked-datasets.js';
import { identification, quasiIdentifierFields } from '../disclosure/quasi-identifiers.js';
import { combinedDisclosureScore, disclosureScore, type DisclosureScore } from '../disclosure/static-score.js';
import type { CompiledDefinition } from '../pipeline/compile-definition.js';
import type { LintContext } from '../pipeline/lint-definition.js';
import { RULES } from '../policy/rules/index.js';
import { formatPosition } from '../source/source-file.js';
import type { CompiledPlan, CompiledQuery } from '../sql/compile-extract.js';
import type { ParameterSpec } from '../sql/parameters.js';
import { layoutSql } from '../sql/render-sql.js';
import { alwaysAppliedGuards, describeDatasetRows, describePopulation, populationChoices, type PopulationChoice } from './describe-population.js';
import { describeCondition, describeValue } from './english-expression.js';
import type { MeasuredDisclosure } from './measure-disclosure.js';

/**
 * Everything the IG reviewer's page shows, as plain data: the HTML and Markdown renderers only
 * lay it out, so both say exactly the same.
 */
export interface ReviewReport {
  /** YYYY-MM-DD: the date lint judged the definition on (--today). */
  today: string;
  file: string;
  syntax: 'yaml' | 'exdef';
  identity: { id: string; title: string; version: number; fingerprint: string; digest: string };
  findings: { counts: Record<Severity, number>; items: ReportFinding[] };
  governance: GovernanceRow[];
  population: { sentence: string; filter?: string; choices: PopulationChoice[]; guards: string[] };
  datasets: ReportDataset[];
  disclosure: ReportDisclosure;
  diff?: FileComparison;
  sql: ReportSql;
  /** The practices' approvals of this definition, when a provider configuration was found (`exdef report` adds them). */
  approvals?: ReportApprovals;
}

/** Which practices a run on `date` would extract, and every approval or revocation of the definition. */
export interface ReportApprovals {
  provider: string;
  date: string;
  practices: PracticeDecision[];
  records: ApprovalStatus[];
}

export interface ReportFinding {
  severity: Severity;
  /** The rule id (a policy rule) or the diagnostic code (format, catalogue, compile). */
  code: string;
  /** file:line:col, when the finding has a place. */
  location?: string;
  message: string;
  hints: string[];
  /** The rule's own explanation, from its meta (what `exdef explain` prints). */
  rule?: { description: string; rationale: string; source: string; hard: boolean };
}

export interface GovernanceRow {
  label: string;
  /** Absent: the definition does not say (governance-complete reports it). */
  value?: string;
}

export interface ReportField {
  name: string;
  /** The value as canonical exdef text. */
  source: string;
  /** The most identifying classification among the columns read, before the transform. */
  classification: Classification;
  transform: string;
  justification: string;
  location?: string;
}

export interface ReportDataset {
  name: string;
  table: string;
  description?: string;
  /** Which rows, in English. */
  rows: string;
  filter?: string;
  identification: 'identified' | 'pseudonymised' | 'de-identified';
  fields: ReportField[];
}

export type ReportScore = Pick<DisclosureScore, 'level' | 'bits' | 'expectedGroupSize' | 'population' | 'identifiers' | 'directIdentifiers'>;

export interface ReportDisclosure {
  threshold: number;
  assumedListSize: number;
  datasets: {
    dataset: string;
    identification: 'identified' | 'pseudonymised' | 'de-identified';
    quasiIdentifiers: string[];
    /** The static score (the disclosure-risk rule's). */
    score: ReportScore;
  }[];
  /**
   * Datasets linked by a linkage key (the mosaic effect): the static score of their combined
   * quasi-identifiers; the measurement is in measured.linked.
   */
  linked: { datasets: string[]; links: string[]; score: ReportScore }[];
  /** Measured on a database (--database); absent when none was given or the plan could not be compiled. */
  measured?: MeasuredDisclosure;
  /** Why nothing was measured. */
  notMeasured: string;
}

export type ReportSql =
  | { compiled: true; guards: string[]; queries: ReportQuery[] }
  | { compiled: false; reason: string };

export interface ReportQuery {
  title: string;
  /** The file `exdef compile -o` writes it to. */
  file: string;
  sql: string;
  parameters: (ParameterSpec & { placeholder: string; shownValue: string })[];
}

export interface ReviewInput {
  compiled: CompiledDefinition & { definition: ExtractDefinition };
  context: LintContext;
  previous?: { file: string; definition: ExtractDefinition };
  measured?: MeasuredDisclosure;
}

/** Builds the review of one resolved definition (lint findings, compiled plan when it compiles). */
export async function buildReviewReport(input: ReviewInput): Promise<ReviewReport> {
  const { compiled, context } = input;
  const definition = compiled.definition;
  // What stops the definition first, then what to weigh, then notes; each by place in the file.
  const diagnostics = sortDiagnostics(compiled.diagnostics).sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]);
  const plan = compiled.plan && !hasErrors(compiled.diagnostics) ? compiled.plan : undefined;
  const report: ReviewReport = {
    today: context.today,
    file: definition.source.file,
    syntax: definition.source.syntax,
    identity: { id: definition.id, title: definition.title, version: definition.version, fingerprint: fingerprint(definition), digest: definitionDigest(definition) },
    findings: { counts: countBySeverity(diagnostics), items: diagnostics.map(reportFinding) },
    governance: governanceRows(definition),
    population: {
      sentence: describePopulation(definition, context.catalogue),
      ...(definition.population.where ? { filter: printIrExpression(definition.population.where) } : {}),
      choices: populationChoices(definition),
      guards: alwaysAppliedGuards(definition, context.policy, context.today),
    },
    datasets: definition.datasets.map((dataset) => ({
      name: dataset.name,
      table: dataset.table,
      ...(dataset.description !== undefined ? { description: dataset.description } : {}),
      rows: describeDatasetRows(dataset, context.catalogue),
      ...(dataset.where ? { filter: printIrExpression(dataset.where) } : {}),
      identification: identification(context.catalogue, dataset),
      fields: dataset.fields.map((field) => ({
        name: field.name,
        source: printIrExpression(field.value),
        classification: field.sourceClassification,
        transform: field.transform === 'computed' ? `computed: ${field.type === 'boolean' ? `true for those ${describeCondition(field.value, context.catalogue)}` : describeValue(field.value)}` : describeTransform(field.transform),
        justification: field.justification,
        ...(field.span ? { location: formatPosition(field.span) } : {}),
      })),
    })),
    disclosure: {
      threshold: context.policy.thresholds.kAnonymity,
      assumedListSize: context.policy.thresholds.assumedListSize,
      datasets: definition.datasets.map((dataset) => {
        const s = disclosureScore(dataset, definition, context.catalogue, context.policy.thresholds.assumedListSize, context.policy.thresholds.kAnonymity);
        return {
          dataset: dataset.name,
          identification: identification(context.catalogue, dataset),
          quasiIdentifiers: quasiIdentifierFields(context.catalogue, dataset).map((f) => f.name),
          score: { level: s.level, bits: s.bits, expectedGroupSize: s.expectedGroupSize, population: s.population, identifiers: s.identifiers, directIdentifiers: s.directIdentifiers },
        };
      }),
      linked: linkedGroups(definition, context.catalogue).flatMap((group) => {
        const members = measuredMembers(context.catalogue, group);
        if (members.length < 2) return [];
        const s = combinedDisclosureScore(members, definition, context.catalogue, context.policy.thresholds.assumedListSize, context.policy.thresholds.kAnonymity);
        return [{ datasets: members.map((d) => d.name), links: group.links.map((l) => l.description), score: { level: s.level, bits: s.bits, expectedGroupSize: s.expectedGroupSize, population: s.population, identifiers: s.identifiers, directIdentifiers: s.directIdentifiers } }];
      }),
      ...(input.measured ? { measured: input.measured } : {}),
      notMeasured: input.measured
        ? ''
        : plan
          ? 'Not measured: no database was given (exdef report --database URL measures the smallest group on the data, as exdef run does before anything leaves).'
          : 'Not measured: the definition has lint errors, so it does not compile to the queries that measure it.',
    },
    sql: plan ? await reportSql(plan) : { compiled: false, reason: notCompiledReason(compiled.diagnostics) },
  };
  if (input.previous) report.diff = changedComparison(input.previous.file, input.previous.definition, definition.source.file, definition);
  return report;
}

const SEVERITY_RANK: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

function reportFinding(d: Diagnostic): ReportFinding {
  const rule = RULES.find((r) => r.meta.id === d.code)?.meta;
  return {
    severity: d.severity,
    code: d.code,
    ...(d.span ? { location: formatPosition(d.span) } : {}),
    message: d.message,
    hints: d.hints ?? [],
    ...(rule ? { rule: { description: rule.description, rationale: rule.rationale, source: rule.source, hard: rule.hard } } : {}),
  };
}

function notCompiledReason(diagnostics: readonly Diagnostic[]): string {
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const cannot = errors.find((d) => d.code === 'cannot-compile');
  if (cannot) return `The definition does not compile: ${cannot.message}. There is no SQL to show.`;
  return `The definition has ${errors.length} lint error${errors.length === 1 ? '' : 's'} (see Findings): a definition with errors is never compiled, so there is no SQL to show. Fix the errors and run the report again.`;
}

const USE_CASE: Record<ExtractDefinition['useCase'], string> = {
  targeted_reporting: 'targeted reporting',
  data_warehouse: 'data warehouse',
  direct_care_planning: 'direct care planning',
};

/** output.compression as a reviewer reads it. */
const COMPRESSION: Record<NonNullable<ExtractDefinition['output']['compression']>, string> = {
  fast: 'fast: deflated at zlib level 1 as the CSV files are written',
  default: 'default: deflated at zlib level 6',
  best: 'best: deflated at zlib level 9 (smallest, slowest)',
  store: 'store: not compressed',
};

const FREQUENCY: Record<ExtractDefinition['schedule']['frequency'], string> = {
  hourly: 'hourly',
  twice_daily: 'twice a day',
  daily: 'daily',
  weekly: 'weekly',
  fortnightly: 'fortnightly',
  monthly: 'monthly',
  quarterly: 'quarterly',
};

function governanceRows(d: ExtractDefinition): GovernanceRow[] {
  const row = (label: string, value: string | undefined): GovernanceRow => (value === undefined || value.trim() === '' ? { label } : { label, value });
  const csv = d.output.csv;
  const delivery = d.output.delivery;
  return [
    row('Title', d.title),
    row('Id', d.id),
    row('Version', String(d.version)),
    row('Owner', `${d.owner.organisation} (${d.owner.contact})`),
    row('Intended use', d.intendedUse),
    row('Use case', USE_CASE[d.useCase]),
    row('Care type', d.careType === 'direct' ? 'direct care' : 'indirect care (secondary use)'),
    row('Legal basis: Article 6', d.legalBasis.article6),
    row('Legal basis: Article 9', d.legalBasis.article9),
    row('Legal basis: statement', d.legalBasis.statement),
    row('Data provision notice', d.legalBasis.dataProvisionNotice ?? 'none (no statutory notice)'),
    row('DPIA', d.dpia),
    row('Risk of singling out', d.risk.singlingOut),
    row('Risk of linkability', d.risk.linkability),
    row('Last reviewed', d.review.lastReviewed),
    row('Reviewer', d.review.reviewer),
    row('Processing location', d.processingLocation === 'uk' ? 'United Kingdom' : 'outside the United Kingdom'),
    row('Mode', d.mode === 'full' ? 'full: every qualifying row, each run' : 'delta: the changes since the last run, found by comparing every qualifying row with what the recipient holds (a full extract first, and whenever the definition changes)'),
    row('Schedule', `${FREQUENCY[d.schedule.frequency]}${d.schedule.window ? `, between ${d.schedule.window.start} and ${d.schedule.window.end} (UK time)` : ', no run window'}`),
    row(
      'Output',
      `${d.output.layout === 'single_zip' ? 'one ZIP of CSV files' : 'one ZIP with a folder of CSV files per practice'}; CSV fields separated by ${csvCharacter(csv.delimiter)} and quoted with ${csvCharacter(csv.quote)}, ${csv.header ? 'with' : 'without'} a header row, ${csv.lineEnding.toUpperCase()} line endings`,
    ),
    row('Compression', `${COMPRESSION[d.output.compression ?? 'fast']}${d.output.compression ? '' : ' (the default)'}; the recipient unzips the same CSV bytes at any level`),
    row('Encryption', d.output.encryption ? `S/MIME (AES-256) to the certificate ${d.output.encryption.certificate}` : 'none in the definition (exdef run --encrypt-to can add it)'),
    row('Delivery', delivery.kind === 'sftp' ? `SFTP to ${delivery.user}@${delivery.host}:${delivery.port}${delivery.directory}, host key ${delivery.hostKey}` : 'none: the provider hands the ZIP over'),
    row(
      'Exemptions',
      d.exemptions.length === 0
        ? 'none'
        : d.exemptions
            .map(
              (e) =>
                `${e.rule}${e.codeSet ? ` for ${e.codeSet}` : ''}${e.datasets ? ` in ${e.datasets.join(', ')}` : ' (no datasets named)'}${e.fields ? `, fields ${e.fields.join(', ')}` : ''}: ${e.justification ?? '(no justification)'}; legal basis ${describeExemptionBasis(e.legalBasis)}${e.expires ? `; expires ${e.expires}` : '; no expiry'}`,
            )
            .join(' · '),
    ),
  ];
}

/** A CSV delimiter or quote as a reader names it, the character itself shown plainly: "a double quote (")". */
function csvCharacter(c: string): string {
  const named: Record<string, string> = { ',': 'a comma', '|': 'a pipe', ';': 'a semicolon', ':': 'a colon', '"': 'a double quote', "'": 'a single quote', '`': 'a backtick' };
  if (c === '\t') return 'a tab';
  if (c === ' ') return 'a space';
  if (/^[\p{L}\p{N}\p{P}\p{S}]$/u.test(c)) return named[c] ? `${named[c]} (${c})` : `the character ${c}`;
  return `the character U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

async function reportSql(plan: CompiledPlan): Promise<ReportSql> {
  const specs = new Map(plan.parameters.map((p) => [p.name, p]));
  const query = async (title: string, file: string, q: CompiledQuery): Promise<ReportQuery> => ({
    title,
    file,
    sql: `${await layoutSql(q.sql)};`,
    parameters: q.parameters.map((name, i) => {
      const spec = specs.get(name)!;
      return { ...spec, placeholder: `$${i + 1}`, shownValue: shownValue(spec) };
    }),
  });
  const queries: ReportQuery[] = [await query('The population', 'population.sql', plan.population)];
  for (const d of plan.datasets) {
    queries.push(await query(`Dataset ${d.name}: ${plan.definition.mode === 'delta' ? 'every qualifying row with its record id (each run compares them with what the recipient holds)' : 'full extract'}`, `${d.name}.sql`, d.full));
    if (d.disclosure.kAnonymity) {
      const measured = d.disclosure.quasiIdentifiers.length > 0 ? `smallest group sharing ${d.disclosure.quasiIdentifiers.join(', ')}` : 'the patients its rows are of: no quasi-identifiers, one group';
      queries.push(await query(`Dataset ${d.name}: k-anonymity (${measured})`, `${d.name}.k-anonymity.sql`, d.disclosure.kAnonymity));
    }
  }
  for (const [i, linked] of (plan.linkedDisclosure ?? []).entries()) {
    queries.push(
      await query(`Linked datasets ${linked.datasets.join(' + ')}: k-anonymity of the combination (smallest group of patients sharing ${linked.quasiIdentifiers.join(', ')})`, `linked-${i + 1}.k-anonymity.sql`, linked.kAnonymity),
    );
  }
  const p = plan.guards.population;
  const guards = [
    `Population: ${p.registration === 'permanent' ? 'permanent registrations only' : 'every registration type'}; the deceased ${p.deceased === 'exclude' ? 'excluded' : 'included'}; PDS-sensitive patients never; Type 1 opt-outs ${p.type1OptOut ? 'respected' : 'overridden'}; National Data Opt-outs ${p.nationalDataOptOut ? 'respected' : 'not applied'}.`,
    `Rows: soft-deleted and confidential rows excluded; sensitive sets excluded from every coded column: ${plan.guards.sensitiveSets.join(', ') || 'none'}${plan.guards.exemptedSets.length > 0 ? `; exempted: ${plan.guards.exemptedSets.join(', ')}` : ''}.`,
    'The compiler checked every query for these guards before writing it; every value is a bound parameter ($n), never part of the SQL text.',
  ];
  return { compiled: true, guards, queries };
}

function shownValue(spec: ParameterSpec): string {
  if (spec.source === 'key') return 'given at run time (never written anywhere)';
  if (spec.source === 'run' || spec.source === 'state') return 'given at run time';
  const value = spec.value;
  if (Array.isArray(value)) return value.join(', ');
  return String(value);
}

/** An exemption's legal basis in one line: its Article 6 and 9 conditions and its notice or approval. */
function describeExemptionBasis(basis: Exemption['legalBasis']): string {
  if (!basis) return '(none)';
  const parts = [basis.article6 ?? '(no Article 6 condition)', basis.article9 ?? '(no Article 9 condition)'];
  if (basis.notice) parts.push(`statutory notice ${basis.notice}`);
  if (basis.approval) parts.push(`approval ${basis.approval}`);
  if (!basis.notice && !basis.approval) parts.push('(no notice or approval)');
  return parts.join(', ');
}
