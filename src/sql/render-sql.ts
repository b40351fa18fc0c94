import type { CompiledDataset, CompiledPlan, CompiledQuery } from './compile-extract.js';
import type { ParameterSpec } from './parameters.js';

/**
 * SQL laid out for people (IG reviewers, DBAs) by sql-formatter: the same statement as the plan's,
 * differing only in whitespace and keyword case (a test holds every definition to that).
 * Loaded on demand: only `compile` and `report` need it.
 */
export async function layoutSql(sqlText: string): Promise<string> {
  const { format } = await import('sql-formatter');
  return format(sqlText, { language: 'postgresql', keywordCase: 'upper', paramTypes: { numbered: ['$'] } });
}

/** What the SQL file of one query is: a dataset's query or its k-anonymity query, or the population. */
export type QueryFileKind = { kind: 'dataset'; dataset: CompiledDataset; variant: 'full' | 'k-anonymity' } | { kind: 'population' };

/** A .sql file: a header that says what the query is, its guards and each parameter, then the query. */
export async function sqlFile(plan: CompiledPlan, file: QueryFileKind): Promise<string> {
  const query: CompiledQuery =
    file.kind === 'population' ? plan.population : file.variant === 'full' ? file.dataset.full : file.dataset.disclosure.kAnonymity!;
  const d = plan.definition;
  const lines: string[] = [
    `exdef compiled SQL for ${d.id} version ${d.version} (${d.file}). Do not edit: recompile with exdef compile.`,
    `fingerprint ${d.fingerprint}`,
    `digest      ${d.digest}`,
  ];
  if (file.kind === 'population') {
    lines.push('query: the population (every patient of it, their practice and whether an opt-out leaves them out)');
  } else {
    const ds = file.dataset;
    if (file.variant === 'k-anonymity') {
      lines.push(
        ds.disclosure.quasiIdentifiers.length > 0
          ? `query: dataset ${ds.name} (from ${ds.table}), k-anonymity: the smallest number of patients sharing one combination of ${ds.disclosure.quasiIdentifiers.join(', ')} (columns k, groups)`
          : `query: dataset ${ds.name} (from ${ds.table}), k-anonymity: no quasi-identifiers, so one group: the number of patients its rows are of (columns k, groups)`,
      );
    } else {
      lines.push(`query: dataset ${ds.name} (from ${ds.table}), ${plan.definition.mode === 'delta' ? 'every qualifying row, each with its record id (a delta run compares them with what the recipient holds)' : 'full extract'}`);
      lines.push(`columns: ${ds.columns.map((c) => `${c.name} (${c.role === 'field' ? c.type : c.role})`).join(', ')}`);
    }
  }
  lines.push(...guardLines(plan));
  lines.push('parameters:');
  const specs = new Map(plan.parameters.map((p) => [p.name, p]));
  query.parameters.forEach((name, i) => lines.push(`  $${i + 1} ${parameterLine(specs.get(name)!)}`));
  const header = lines.map((l) => `-- ${commentSafe(l)}`.trimEnd()).join('\n');
  return `${header}\n\n${await layoutSql(query.sql)};\n`;
}

function guardLines(plan: CompiledPlan): string[] {
  const p = plan.guards.population;
  const population = [
    `registered on the snapshot date at ${plan.parameters.find((x) => x.name === 'practices')?.value instanceof Array ? (plan.parameters.find((x) => x.name === 'practices')!.value as string[]).join(', ') : 'the practices in scope'}`,
    p.registration === 'permanent' ? 'permanent registrations only' : 'every registration type',
    p.deceased === 'exclude' ? 'the deceased excluded' : 'the deceased included',
    'PDS-sensitive patients never',
    p.type1OptOut ? 'Type 1 opt-outs respected' : 'Type 1 opt-outs overridden',
    p.nationalDataOptOut ? 'National Data Opt-outs respected' : 'National Data Opt-out not applicable',
  ];
  const sets = plan.guards.sensitiveSets.length > 0 ? `sensitive codes (${plan.guards.sensitiveSets.join(', ')}) excluded from every coded column` : 'no sensitive set excluded';
  const exempted = plan.guards.exemptedSets.length > 0 ? `; exempted: ${plan.guards.exemptedSets.join(', ')}` : '';
  return [`guards: population: ${population.join('; ')}`, `guards: rows: soft-deleted and confidential rows excluded; ${sets}${exempted}`];
}

function parameterLine(spec: ParameterSpec): string {
  const value =
    spec.source === 'key'
      ? 'given at run time (never written anywhere)'
      : spec.source === 'run' || spec.source === 'state'
        ? 'given at run time'
        : `= ${shown(spec)}`;
  return `${spec.name} ${spec.type} ${value}: ${spec.meaning}${spec.at ? ` [${spec.at}]` : ''}`;
}

function shown(spec: ParameterSpec): string {
  const value = spec.value;
  if (Array.isArray(value)) return `{${value.join(', ')}}`;
  if (typeof value === 'string' && (spec.type === 'text' || spec.type === 'interval')) return `'${value.length > 60 ? `${value.slice(0, 60)}...` : value}'`;
  return String(value);
}

/** One line of an SQL comment: no line breaks or other control characters can end the comment early. */
function commentSafe(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f\u0085\u2028\u2029]/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
