import { readFileSync } from 'node:fs';
import { findTable, type Catalogue } from '../catalogue/catalogue.js';
import { defineCodes } from '../diagnostics/define-codes.js';
import { hasErrors, type Diagnostic } from '../diagnostics/diagnostic.js';
import { didYouMean } from '../diagnostics/suggest.js';
import { columnsRead, type IrExpr } from '../ir/expression.js';
import { CLASSIFICATION_RANK, type Dataset, type ExtractDefinition, type Field, type Frequency, type Output } from '../ir/extract-definition.js';
import { pathOfPointer, pointer, type ParsedDefinition } from '../parse/definition-source.js';
import { exdefClauseName } from '../parse/exdef-clause-names.js';
import { resources } from '../resources.js';
import { hiddenCharacters } from '../source/hidden-characters.js';
import { validateAgainstSchema, type RefusedValueReporter } from '../source/schema-validation.js';
import type { Span } from '../source/source-file.js';
import type { YamlPath } from '../source/yaml-source.js';
import { transformOf } from './exposure.js';
import { describeType, resolveCodes, resolveExpression, resolveJoin, type ResolveContext } from './resolve-expression.js';

export const definitionCodes = defineCodes({
  'duplicate-dataset': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string }) => `there are two datasets called \`${p.name}\`; each becomes ${p.name}.csv, so names must differ`,
  },
  'duplicate-field': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; dataset: string }) => `dataset \`${p.dataset}\` has two fields called \`${p.name}\``,
  },
  'reserved-field-name': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { name: string; dataset: string }) =>
      `dataset \`${p.dataset}\`: in delta mode exdef adds a column called \`${p.name}\` to every dataset, so no field may have that name`,
  },
  'missing-expression': {
    severity: 'error',
    stage: 'resolve',
    message: (p: { where: string }) => `${p.where} could not be read`,
  },
});

/** The columns a delta extract adds to each dataset (src/sql/dataset-query.ts). */
const DELTA_COLUMNS = ['record_id', 'change_type'];

let schemaObject: object | undefined;
export function definitionSchema(): object {
  schemaObject ??= JSON.parse(readFileSync(resources.definitionSchema, 'utf8')) as object;
  return schemaObject;
}

export interface ResolveOptions {
  /** Reports a value the schema refuses on purpose (the policy's supported-use-case rule). */
  refused?: RefusedValueReporter;
}

/**
 * Checks a parsed definition against the format's schema, then its names and types against the
 * catalogue, and builds the IR. Stops after a stage that found errors.
 */
export function resolveDefinition(parsed: ParsedDefinition, catalogue: Catalogue, options: ResolveOptions = {}): { definition?: ExtractDefinition; diagnostics: Diagnostic[] } {
  const diagnostics = [...parsed.diagnostics];
  if (hasErrors(diagnostics) || !parsed.document) return { diagnostics };
  const document = parsed.document;
  const name = parsed.syntax === 'exdef' ? (path: YamlPath) => exdefClauseName(path, document) : undefined;
  diagnostics.push(...validateAgainstSchema(document, definitionSchema(), parsed.locate, options.refused, name));
  if (hasErrors(diagnostics)) return { diagnostics };

  const doc = parsed.document as unknown as RawDefinition;
  const ctx: ResolveContext = { catalogue, diagnostics };
  const expression = (path: YamlPath, table: string): IrExpr | undefined => {
    const ast = parsed.expressions.get(pointer(path));
    if (!ast) {
      diagnostics.push(definitionCodes.make('missing-expression', { where: path.join('.') }, parsed.locate(path)));
      return undefined;
    }
    const scope = findTable(catalogue, table);
    return scope ? resolveExpression(ctx, scope, ast) : undefined;
  };
  const requireBoolean = (e: IrExpr | undefined, where: string, span: Span): IrExpr | undefined => {
    if (e && e.type !== 'boolean') {
      diagnostics.push(resolveCodes.make('not-boolean', { where, found: describeType(e.type) }, span));
      return undefined;
    }
    return e;
  };

  const p = doc.population;
  const patientTable = catalogue.population.patient.table;
  const populationWhere = p.where !== undefined ? requireBoolean(expression(['population', 'where'], patientTable), 'the population filter', parsed.locate(['population', 'where'])) : undefined;

  const datasets: Dataset[] = [];
  const datasetNames = new Set<string>();
  doc.datasets.forEach((d, i) => {
    const base: YamlPath = ['datasets', i];
    if (datasetNames.has(d.name)) diagnostics.push(definitionCodes.make('duplicate-dataset', { name: d.name }, parsed.locate([...base, 'name'])));
    datasetNames.add(d.name);
    const table = findTable(catalogue, d.from);
    if (!table) {
      // Control and document tables are never suggested: no definition may read them.
      const names = catalogue.tables.filter((t) => t.selectable && !t.classification).map((t) => t.name);
      diagnostics.push(resolveCodes.make('unknown-table', { name: d.from, suggestion: didYouMean(d.from, names) }, parsed.locate([...base, 'from']), [`tables: ${names.join(', ')}`]));
      return;
    }
    if (!table.selectable) {
      diagnostics.push(resolveCodes.make('table-not-selectable', { name: `${table.schema}.${table.name}` }, parsed.locate([...base, 'from'])));
      return;
    }
    for (const join of parsed.joins ?? []) if (join.dataset === i) resolveJoin(ctx, table, join.path, join.span);
    const where = d.where !== undefined ? requireBoolean(expression([...base, 'where'], table.name), `the filter of dataset \`${d.name}\``, parsed.locate([...base, 'where'])) : undefined;
    const fieldNames = new Set<string>();
    const fields: Field[] = [];
    d.fields.forEach((f, j) => {
      const fieldPath: YamlPath = [...base, 'fields', j];
      if (fieldNames.has(f.name)) diagnostics.push(definitionCodes.make('duplicate-field', { name: f.name, dataset: d.name }, parsed.locate([...fieldPath, 'name'])));
      if (doc.mode === 'delta' && DELTA_COLUMNS.includes(f.name)) {
        diagnostics.push(definitionCodes.make('reserved-field-name', { name: f.name, dataset: d.name }, parsed.locate([...fieldPath, 'name']), ['rename the field (AS ...)']));
      }
      fieldNames.add(f.name);
      const value = expression([...fieldPath, 'value'], table.name);
      if (!value) return;
      const sources = columnsRead(value);
      fields.push({
        name: f.name,
        value,
        type: value.type,
        justification: f.justification,
        sources,
        transform: transformOf(value),
        sourceClassification: sources.reduce((worst, s) => (CLASSIFICATION_RANK[s.classification] > CLASSIFICATION_RANK[worst] ? s.classification : worst), 'system' as Field['sourceClassification']),
        span: parsed.locate(fieldPath),
      });
    });
    const dataset: Dataset = { name: d.name, table: table.name, fields, span: parsed.locate([...base, 'name']) };
    if (d.description !== undefined) dataset.description = d.description;
    if (where) dataset.where = where;
    datasets.push(dataset);
  });
  if (hasErrors(diagnostics)) return { diagnostics };

  const output: Output = {
    csv: { delimiter: doc.output.csv.delimiter, quote: doc.output.csv.quote, header: doc.output.csv.header, lineEnding: doc.output.csv.line_ending },
    layout: doc.output.layout,
    ...(doc.output.compression ? { compression: doc.output.compression } : {}),
    delivery:
      doc.output.delivery && doc.output.delivery !== 'none'
        ? {
            kind: 'sftp',
            host: doc.output.delivery.sftp.host,
            port: doc.output.delivery.sftp.port ?? 22,
            user: doc.output.delivery.sftp.user,
            directory: doc.output.delivery.sftp.directory,
            hostKey: doc.output.delivery.sftp.host_key,
          }
        : { kind: 'none' },
  };
  if (doc.output.encryption) output.encryption = { certificate: doc.output.encryption.certificate };

  const definition: ExtractDefinition = {
    format: 1,
    id: doc.id,
    title: doc.title,
    version: doc.version,
    owner: { organisation: doc.owner.organisation, contact: doc.owner.contact },
    useCase: doc.use_case,
    careType: doc.care_type,
    legalBasis: compact({
      article6: doc.legal_basis?.article_6,
      article9: doc.legal_basis?.article_9,
      statement: doc.legal_basis?.statement,
      dataProvisionNotice: doc.legal_basis?.data_provision_notice,
    }),
    risk: compact({ singlingOut: doc.risk?.singling_out, linkability: doc.risk?.linkability }),
    review: compact({ lastReviewed: doc.review?.last_reviewed, reviewer: doc.review?.reviewer }),
    processingLocation: doc.processing_location ?? 'uk',
    population: {
      registration: p.registration,
      deceased: p.deceased,
      type1OptOut: p.type1_opt_out,
      nationalDataOptOut: p.national_data_opt_out ?? (doc.care_type === 'direct' ? 'not_applicable' : 'respect'),
      onOptBackIn: p.on_opt_back_in ?? 'no_backfill',
      onLeave: p.on_leave ?? 'delete',
      practices: [...p.practices],
      ...compact({
        registrationJustification: p.registration_justification,
        deceasedJustification: p.deceased_justification,
        type1OptOutJustification: p.type1_opt_out_justification,
        nationalDataOptOutJustification: p.national_data_opt_out_justification,
      }),
      ...(populationWhere ? { where: populationWhere } : {}),
    },
    mode: doc.mode,
    schedule: { frequency: doc.schedule.frequency },
    output,
    datasets,
    exemptions: (doc.exemptions ?? []).map((e, i) => ({
      rule: e.rule,
      ...compact({ codeSet: e.code_set, justification: e.justification, expires: e.expires }),
      ...(e.legal_basis
        ? { legalBasis: compact({ article6: e.legal_basis.article_6, article9: e.legal_basis.article_9, notice: e.legal_basis.notice, approval: e.legal_basis.approval }) }
        : {}),
      ...(e.datasets ? { datasets: [...e.datasets] } : {}),
      ...(e.fields ? { fields: [...e.fields] } : {}),
      span: parsed.locate(['exemptions', i]),
    })),
    source: sourceOf(parsed, catalogue),
  };
  if (doc.intended_use !== undefined) definition.intendedUse = doc.intended_use;
  if (doc.dpia !== undefined) definition.dpia = doc.dpia;
  if (doc.schedule.window) {
    const [start, end] = doc.schedule.window.split('-') as [string, string];
    definition.schedule.window = { start, end };
  }
  return { definition, diagnostics };
}

function compact<T extends Record<string, unknown>>(record: T): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(record).filter(([, v]) => v !== undefined)) as { [K in keyof T]?: Exclude<T[K], undefined> };
}

/** Spans of every written value and key, by pointer, so later stages can point at them. */
function sourceOf(parsed: ParsedDefinition, catalogue: Catalogue): ExtractDefinition['source'] {
  const spans: Record<string, Span> = {};
  const keySpans: Record<string, Span> = {};
  const characterSpans: Record<string, Span> = {};
  // `at` is pointer(path), built a segment at a time.
  const visit = (value: unknown, path: YamlPath, at: string) => {
    spans[at] = parsed.locate(path, 'value');
    if (path.length > 0) keySpans[at] = parsed.locate(path, 'key');
    if (typeof value === 'string' && parsed.locateCharacter) {
      // A text's problem points at its first hidden character (see meaningful-text's problemSpan);
      // locating only that one keeps a value full of them linear.
      const [hidden] = hiddenCharacters(value);
      if (hidden) {
        const span = parsed.locateCharacter(path, hidden.index);
        if (span) characterSpans[`${at}#${hidden.index}`] = span;
      }
    }
    if (Array.isArray(value)) value.forEach((v, i) => visit(v, [...path, i], `${at}/${i}`));
    else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, [...path, k], at + pointer([k]));
  };
  visit(parsed.document, [], '');
  return {
    file: parsed.file.path,
    syntax: parsed.syntax,
    catalogue: catalogue.name,
    spans,
    keySpans,
    ...(Object.keys(characterSpans).length > 0 ? { characterSpans } : {}),
    comments: Object.fromEntries(parsed.comments),
  };
}

/** The span of a pointer in a definition, or of its nearest written parent. */
export function spanAt(definition: ExtractDefinition, at: string, prefer: 'value' | 'key' = 'value'): Span | undefined {
  let path = pathOfPointer(at);
  for (;;) {
    const key = pointer(path);
    const found = prefer === 'key' ? definition.source.keySpans[key] ?? definition.source.spans[key] : definition.source.spans[key];
    if (found) return found;
    if (path.length === 0) return undefined;
    path = path.slice(0, -1);
  }
}

/** The document as the schema guarantees it (after validation). */
interface RawDefinition {
  exdef: 1;
  id: string;
  title: string;
  version: number;
  owner: { organisation: string; contact: string };
  use_case: ExtractDefinition['useCase'];
  care_type: ExtractDefinition['careType'];
  intended_use?: string;
  legal_basis?: { article_6?: string; article_9?: string; statement?: string; data_provision_notice?: string };
  dpia?: string;
  risk?: { singling_out?: string; linkability?: string };
  review?: { last_reviewed?: string; reviewer?: string };
  processing_location?: 'uk' | 'elsewhere';
  population: {
    registration: 'permanent' | 'all';
    registration_justification?: string;
    deceased: 'exclude' | 'include';
    deceased_justification?: string;
    type1_opt_out: 'respect' | 'override';
    type1_opt_out_justification?: string;
    national_data_opt_out?: 'respect' | 'not_applicable';
    national_data_opt_out_justification?: string;
    on_opt_back_in?: 'no_backfill' | 'backfill';
    on_leave?: 'delete' | 'keep';
    practices: string[];
    where?: string;
  };
  mode: 'full' | 'delta';
  schedule: { frequency: Frequency; window?: string };
  output: {
    csv: { delimiter: string; quote: string; header: boolean; line_ending: 'crlf' | 'lf' };
    layout: 'single_zip' | 'per_practice';
    compression?: 'fast' | 'default' | 'best' | 'store';
    encryption?: { certificate: string };
    delivery?: 'none' | { sftp: { host: string; port?: number; user: string; directory: string; host_key: string } };
  };
  datasets: { name: string; description?: string; from: string; where?: string; fields: { name: string; value: string; justification: string }[] }[];
  exemptions?: {
    rule: string;
    code_set?: string;
    datasets?: string[];
    fields?: string[];
    legal_basis?: { article_6?: string; article_9?: string; notice?: string; approval?: string };
    justification?: string;
    expires?: string;
  }[];
}
