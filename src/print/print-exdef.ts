import { commentPlace, pointer, TAIL_COMMENTS } from '../parse/definition-source.js';
import type { ExprAst } from '../parse/expression-ast.js';
import { printExpressionLines, printName, quote } from './print-expression.js';

/** What a printer needs: the document, its parsed expressions and its comments. */
export interface PrintableDefinition {
  document: Record<string, unknown>;
  expressions: ReadonlyMap<string, ExprAst>;
  comments: ReadonlyMap<string, readonly string[]>;
}

type Doc = Record<string, unknown>;
const obj = (v: unknown): Doc => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Doc) : {});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const BARE_KEBAB = /^[A-Za-z_][A-Za-z0-9_]*(-([A-Za-z_][A-Za-z0-9_]*|[0-9]+))*$/;

/** Parts that the lexer would read as one date (`x-2026-01-01`), so the name must be quoted. */
const DATE_IN_KEBAB = /(^|-)\d{4}-\d{2}-\d{2}(?![0-9])/;

/** `dataset.field` bare when both parts are plain names; anything else as one quoted name. */
function printFieldReference(reference: string): string {
  const parts = reference.split('.');
  return parts.length <= 2 && parts.every((p) => printName(p) === p) ? reference : `"${reference.replace(/"/g, '""')}"`;
}

function printKebab(name: string): string {
  return BARE_KEBAB.test(name) && !DATE_IN_KEBAB.test(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/**
 * The canonical exdef-language text of a definition: statements in a fixed order, keywords in
 * capitals, two-space indentation, each field's justification on its own line.
 */
export function printExdef(definition: PrintableDefinition): string {
  const { document: doc } = definition;
  const out: string[] = [];
  const expression = (path: (string | number)[], fallback: unknown, indent = '    '): string => {
    const ast = definition.expressions.get(pointer(path));
    return ast ? printExpressionLines(ast, indent) : String(fallback ?? '');
  };
  const comments = statementComments(definition.comments);
  const emitted = new Set<string>();
  const emitComments = (key: string, indent = '') => {
    emitted.add(key);
    for (const line of comments.get(key) ?? []) out.push(`${indent}--${line === '' ? '' : ` ${line}`}`);
  };

  emitComments('head');
  if (comments.has('head')) out.push('');
  out.push(`EXDEF ${typeof doc['exdef'] === 'number' ? doc['exdef'] : 1};`, '');

  emitComments('extract');
  const owner = obj(doc['owner']);
  const extract = [`EXTRACT ${printKebab(str(doc['id']) ?? '')}`];
  if (doc['version'] !== undefined) extract.push(`  VERSION ${String(doc['version'])}`);
  if (str(doc['title']) !== undefined) extract.push(`  TITLE ${quote(str(doc['title'])!)}`);
  if (str(owner['organisation']) !== undefined) extract.push(`  OWNER ${quote(str(owner['organisation'])!)}`);
  if (str(owner['contact']) !== undefined) extract.push(`  CONTACT ${quote(str(owner['contact'])!)}`);
  out.push(`${extract.join('\n')};`, '');

  const governance: string[] = [];
  if (str(doc['use_case'])) governance.push(`  USE CASE ${printName(str(doc['use_case'])!)}`);
  if (str(doc['care_type'])) governance.push(`  CARE ${printName(str(doc['care_type'])!)}`);
  if (str(doc['intended_use']) !== undefined) governance.push(`  INTENDED USE ${quote(str(doc['intended_use'])!)}`);
  const legal = obj(doc['legal_basis']);
  const legalParts: string[] = [];
  if (str(legal['article_6']) !== undefined) legalParts.push(`    ARTICLE 6 ${quote(str(legal['article_6'])!)}`);
  if (str(legal['article_9']) !== undefined) legalParts.push(`    ARTICLE 9 ${quote(str(legal['article_9'])!)}`);
  if (str(legal['statement']) !== undefined) legalParts.push(`    STATEMENT ${quote(str(legal['statement'])!)}`);
  if (str(legal['data_provision_notice']) !== undefined) legalParts.push(`    NOTICE ${quote(str(legal['data_provision_notice'])!)}`);
  if (legalParts.length > 0) governance.push('  LEGAL BASIS', ...legalParts);
  if (str(doc['dpia']) !== undefined) governance.push(`  DPIA ${quote(str(doc['dpia'])!)}`);
  const risk = obj(doc['risk']);
  if (str(risk['singling_out']) !== undefined) governance.push(`  SINGLING OUT ${quote(str(risk['singling_out'])!)}`);
  if (str(risk['linkability']) !== undefined) governance.push(`  LINKABILITY ${quote(str(risk['linkability'])!)}`);
  const review = obj(doc['review']);
  if (str(review['last_reviewed']) !== undefined) {
    governance.push(`  REVIEWED ${review['last_reviewed']}${str(review['reviewer']) !== undefined ? ` BY ${quote(str(review['reviewer'])!)}` : ''}`);
  } else if (str(review['reviewer']) !== undefined) {
    // A reviewer without a review date is still written (it used to be dropped).
    governance.push(`  REVIEWED BY ${quote(str(review['reviewer'])!)}`);
  }
  if (str(doc['processing_location']) !== undefined) governance.push(`  PROCESSING IN ${printName(str(doc['processing_location'])!)}`);
  if (governance.length > 0) {
    emitComments('governance');
    out.push(`GOVERNANCE\n${governance.join('\n')};`, '');
  }

  const population = obj(doc['population']);
  if (doc['population'] !== undefined) {
    const lines: string[] = [];
    const choice = (keyword: string, key: string) => {
      const value = str(population[key]);
      const justification = str(population[`${key}_justification`]);
      // A justification without its choice (national_data_opt_out is optional) is written alone.
      if (value === undefined) {
        if (justification !== undefined) lines.push(`  ${keyword} JUSTIFIED ${quote(justification)}`);
        return;
      }
      lines.push(`  ${keyword} ${printName(value)}${justification !== undefined ? `\n    JUSTIFIED ${quote(justification)}` : ''}`);
    };
    choice('REGISTRATION', 'registration');
    choice('DECEASED', 'deceased');
    choice('TYPE1 OPT OUT', 'type1_opt_out');
    choice('NATIONAL OPT OUT', 'national_data_opt_out');
    if (str(population['on_opt_back_in']) !== undefined) lines.push(`  ON OPT BACK IN ${printName(str(population['on_opt_back_in'])!)}`);
    if (str(population['on_leave']) !== undefined) lines.push(`  ON LEAVE ${printName(str(population['on_leave'])!)}`);
    if (Array.isArray(population['practices'])) lines.push(`  PRACTICES ${population['practices'].map((p) => printName(String(p))).join(', ')}`);
    if (population['where'] !== undefined) lines.push(`  WHERE ${expression(['population', 'where'], population['where'])}`);
    emitComments('population');
    out.push(`POPULATION${lines.length > 0 ? `\n${lines.join('\n')}` : ''};`, '');
  }

  if (str(doc['mode']) !== undefined) {
    emitComments('mode');
    out.push(`MODE ${printName(str(doc['mode'])!)};`, '');
  }
  const schedule = obj(doc['schedule']);
  if (doc['schedule'] !== undefined) {
    emitComments('schedule');
    const window = str(schedule['window']);
    out.push(`SCHEDULE ${printName(str(schedule['frequency']) ?? '')}${window !== undefined ? ` WINDOW ${window}` : ''};`, '');
  }

  const output = obj(doc['output']);
  if (doc['output'] !== undefined) {
    const lines: string[] = [];
    const csv = obj(output['csv']);
    if (output['csv'] !== undefined) {
      const options: string[] = [];
      if (str(csv['delimiter']) !== undefined) options.push(`DELIMITER ${quote(str(csv['delimiter'])!)}`);
      if (str(csv['quote']) !== undefined) options.push(`QUOTE ${quote(str(csv['quote'])!)}`);
      if (typeof csv['header'] === 'boolean') options.push(`HEADER ${csv['header'] ? 'ON' : 'OFF'}`);
      if (str(csv['line_ending']) !== undefined) options.push(`LINE ENDING ${printName(str(csv['line_ending'])!)}`);
      lines.push(`  CSV ${options.join(' ')}`.trimEnd());
    }
    if (str(output['layout']) !== undefined) lines.push(`  LAYOUT ${printName(str(output['layout'])!)}`);
    if (str(output['compression']) !== undefined) lines.push(`  COMPRESSION ${printName(str(output['compression'])!)}`);
    const certificate = str(obj(output['encryption'])['certificate']);
    if (certificate !== undefined) lines.push(`  ENCRYPT TO ${quote(certificate)}`);
    const delivery = output['delivery'];
    if (delivery === 'none') lines.push('  DELIVER NONE');
    else if (delivery && typeof delivery === 'object') {
      const sftp = obj(obj(delivery)['sftp']);
      const options: string[] = [];
      if (str(sftp['host']) !== undefined) options.push(`    HOST ${quote(str(sftp['host'])!)}`);
      if (typeof sftp['port'] === 'number') options.push(`    PORT ${sftp['port']}`);
      if (str(sftp['user']) !== undefined) options.push(`    USER ${quote(str(sftp['user'])!)}`);
      if (str(sftp['directory']) !== undefined) options.push(`    DIRECTORY ${quote(str(sftp['directory'])!)}`);
      if (str(sftp['host_key']) !== undefined) options.push(`    HOST KEY ${quote(str(sftp['host_key'])!)}`);
      lines.push(`  DELIVER SFTP${options.length > 0 ? `\n${options.join('\n')}` : ''}`);
    }
    emitComments('output');
    out.push(`OUTPUT${lines.length > 0 ? `\n${lines.join('\n')}` : ''};`, '');
  }

  const datasets = Array.isArray(doc['datasets']) ? (doc['datasets'] as unknown[]) : [];
  datasets.forEach((raw, i) => {
    const dataset = obj(raw);
    emitComments(`/datasets/${i}`);
    const description = str(dataset['description']);
    const lines = [`DATASET ${printName(str(dataset['name']) ?? '')}${description !== undefined ? ` DESCRIPTION ${quote(description)}` : ''} AS`, 'SELECT'];
    const fields = Array.isArray(dataset['fields']) ? (dataset['fields'] as unknown[]) : [];
    const joins = new Set<string>();
    const noteJoin = (path: (string | number)[]) => {
      const ast = definition.expressions.get(pointer(path));
      if (ast) for (const first of relationHeads(ast)) joins.add(first);
    };
    fields.forEach((rawField, j) => {
      const field = obj(rawField);
      const path = ['datasets', i, 'fields', j, 'value'];
      noteJoin(path);
      const value = expression(path, field['value']);
      const name = str(field['name']) ?? '';
      const ast = definition.expressions.get(pointer(path));
      const implicitName = ast?.kind === 'path' && ast.segments[ast.segments.length - 1] === name;
      emitted.add(`/datasets/${i}/fields/${j}`);
      for (const line of comments.get(`/datasets/${i}/fields/${j}`) ?? []) lines.push(`  --${line === '' ? '' : ` ${line}`}`);
      lines.push(`  ${value}${implicitName ? '' : ` AS ${printName(name)}`}`);
      lines.push(`    JUSTIFY ${quote(str(field['justification']) ?? '')}${j < fields.length - 1 ? ',' : ''}`);
    });
    lines.push(`FROM ${printName(str(dataset['from']) ?? '')}`);
    if (dataset['where'] !== undefined) noteJoin(['datasets', i, 'where']);
    for (const relation of joins) lines.push(`  JOIN ${printName(relation)}`);
    if (dataset['where'] !== undefined) lines.push(`WHERE ${expression(['datasets', i, 'where'], dataset['where'], '  ')}`);
    out.push(`${lines.join('\n')};`, '');
  });

  const exemptions = Array.isArray(doc['exemptions']) ? (doc['exemptions'] as unknown[]) : [];
  exemptions.forEach((raw, k) => {
    const exemption = obj(raw);
    emitComments(`/exemptions/${k}`);
    const lines = [`EXEMPTION FROM ${printKebab(str(exemption['rule']) ?? '')}`];
    if (str(exemption['code_set']) !== undefined) lines.push(`  FOR SET ${printName(str(exemption['code_set'])!)}`);
    if (Array.isArray(exemption['datasets'])) lines.push(`  IN ${(exemption['datasets'] as unknown[]).map((d) => printName(String(d))).join(', ')}`);
    if (Array.isArray(exemption['fields'])) lines.push(`  FOR FIELDS ${(exemption['fields'] as unknown[]).map((f) => printFieldReference(String(f))).join(', ')}`);
    const basis = obj(exemption['legal_basis']);
    const basisParts: string[] = [];
    for (const [key, clause] of [
      ['article_6', 'ARTICLE 6'],
      ['article_9', 'ARTICLE 9'],
      ['notice', 'NOTICE'],
      ['approval', 'APPROVAL'],
    ] as const) {
      if (str(basis[key]) !== undefined) basisParts.push(`    ${clause} ${quote(str(basis[key])!)}`);
    }
    if (basisParts.length > 0) lines.push('  LEGAL BASIS', ...basisParts);
    if (str(exemption['justification']) !== undefined) lines.push(`  JUSTIFICATION ${quote(str(exemption['justification'])!)}`);
    if (str(exemption['expires']) !== undefined) lines.push(`  EXPIRES ${exemption['expires']}`);
    out.push(`${lines.join('\n')};`, '');
  });
  // Comments of parts this syntax has no place for (the end of a YAML list, say) go last: a
  // comment is never dropped.
  for (const key of comments.keys()) if (key !== 'tail' && !emitted.has(key)) emitComments(key);
  if (comments.has('tail')) emitComments('tail');
  return `${out.join('\n').trimEnd()}\n`;
}

/** The first segments of multi-segment paths outside exists(): the relations a dataset joins. */
function relationHeads(node: ExprAst): string[] {
  switch (node.kind) {
    case 'path':
      return node.segments.length > 1 ? [node.segments[0]!] : [];
    case 'call':
      return node.args.flatMap(relationHeads);
    case 'not':
    case 'negate':
    case 'isNull':
      return relationHeads(node.operand);
    case 'binary':
      return [...relationHeads(node.left), ...relationHeads(node.right)];
    case 'between':
      return [...relationHeads(node.operand), ...relationHeads(node.low), ...relationHeads(node.high)];
    case 'in':
      return [...relationHeads(node.operand), ...(node.list ?? []).flatMap(relationHeads)];
    case 'exists':
      return node.path.length > 1 ? [node.path[0]!] : [];
    default:
      return [];
  }
}

const EXTRACT_KEYS = new Set(['exdef', 'id', 'title', 'version', 'owner']);
const GOVERNANCE_KEYS = new Set(['use_case', 'care_type', 'intended_use', 'legal_basis', 'dpia', 'risk', 'review', 'processing_location']);

/** Groups comments by the statement (or field) they are printed before. */
function statementComments(comments: ReadonlyMap<string, readonly string[]>): Map<string, string[]> {
  const grouped = new Map<string, string[]>();
  const add = (key: string, lines: readonly string[]) => grouped.set(key, [...(grouped.get(key) ?? []), ...lines]);
  for (const [key, lines] of comments) {
    const { at, place } = commentPlace(key);
    if (at === '' && place === 'after-value') {
      add('tail', lines);
      continue;
    }
    if (at === '') {
      // An editor modeline for YAML (yaml-language-server: $schema=...) means nothing here.
      const kept = lines.filter((l) => !/^\s*yaml-language-server:/.test(l));
      if (kept.length > 0) add('head', kept);
      continue;
    }
    if (key === TAIL_COMMENTS) {
      add('tail', lines);
      continue;
    }
    const parts = at.slice(1).split('/');
    const top = parts[0]!;
    if (EXTRACT_KEYS.has(top)) add('extract', lines);
    else if (GOVERNANCE_KEYS.has(top)) add('governance', lines);
    else if (top === 'datasets' && parts.length >= 4 && parts[2] === 'fields' && /^\d+$/.test(parts[3]!)) add(`/datasets/${parts[1]}/fields/${parts[3]}`, lines);
    else if ((top === 'datasets' || top === 'exemptions') && /^\d+$/.test(parts[1] ?? '')) add(`/${top}/${parts[1]}`, lines);
    else if (top === 'datasets' || top === 'exemptions') add(place === 'before-value' ? `/${top}/0` : 'tail', lines);
    else if (top === 'population' || top === 'mode' || top === 'schedule' || top === 'output') add(top, lines);
    else add('head', lines);
  }
  return grouped;
}
