import { CLASSIFICATION_RANK, type Dataset, type ExtractDefinition, type Field } from '../ir/extract-definition.js';
import { canonicalKey, sameMeaning } from './canonical-key.js';
import { compareConditions } from './compare-conditions.js';
import { setOptional, values } from './diff-governance.js';
import type { DraftChange } from './draft-change.js';
import { compareFieldValues, describeClassification, describeField } from './identifiability.js';
import { printIrExpression } from './print-ir-expression.js';

/**
 * Changes to what each row carries: datasets (matched by name), their tables and filters, and
 * their fields (matched by name within a dataset). A dataset or field that only changed its name
 * is recognised as renamed rather than as one removed and one added.
 */
export function diffDatasets(before: ExtractDefinition, after: ExtractDefinition): DraftChange[] {
  const changes: DraftChange[] = [];
  const afterNames = new Set(after.datasets.map((d) => d.name));
  const beforeNames = new Set(before.datasets.map((d) => d.name));
  const removed = before.datasets.filter((d) => !afterNames.has(d.name));
  const added = after.datasets.filter((d) => !beforeNames.has(d.name));
  const renamed = pairUp(removed, added, datasetContent);
  /** Each dataset of `after` by the name it had before. */
  const oldName = new Map<string, string>([...after.datasets.filter((d) => beforeNames.has(d.name)).map((d) => [d.name, d.name] as const), ...renamed.map(([b, a]) => [a.name, b.name] as const)]);

  for (const a of after.datasets) {
    const name = oldName.get(a.name);
    const b = name === undefined ? undefined : before.datasets.find((d) => d.name === name);
    if (!b) continue;
    if (b.name !== a.name) {
      changes.push({
        kind: 'dataset-renamed',
        path: `datasets.${a.name}`,
        dataset: a.name,
        before: b.name,
        after: a.name,
        explanation: `the same dataset under another name: the file is now ${a.name}.csv`,
        review: false,
        apply: (d) => (find(d, b.name).name = a.name),
      });
    }
    changes.push(...diffDataset(b, a));
  }
  for (const a of added) {
    if (renamed.some(([, x]) => x === a)) continue;
    const worst = a.fields.reduce((w, f) => (CLASSIFICATION_RANK[f.sourceClassification] > CLASSIFICATION_RANK[w] ? f.sourceClassification : w), 'system' as Field['sourceClassification']);
    changes.push({
      kind: 'dataset-added',
      path: `datasets.${a.name}`,
      dataset: a.name,
      after: datasetSummary(a),
      explanation: `a new dataset: ${a.fields.length} field${a.fields.length === 1 ? '' : 's'} from ${a.table}, the most identifying reading ${describeClassification(worst)} data`,
      review: true,
      apply: (d) => d.datasets.push(structuredClone(a)),
    });
  }
  for (const b of removed) {
    if (renamed.some(([x]) => x === b)) continue;
    changes.push({
      kind: 'dataset-removed',
      path: `datasets.${b.name}`,
      dataset: b.name,
      before: datasetSummary(b),
      explanation: `the dataset is no longer extracted: ${b.name}.csv is not delivered`,
      review: false,
      apply: (d) => (d.datasets = d.datasets.filter((x) => x.name !== b.name)),
    });
  }
  const kept = after.datasets.map((a) => oldName.get(a.name)).filter((n): n is string => n !== undefined);
  const keptBefore = before.datasets.map((b) => b.name).filter((n) => kept.includes(n));
  if (kept.join('\n') !== keptBefore.join('\n')) {
    changes.push({
      kind: 'dataset-reordered',
      path: 'datasets',
      before: keptBefore.join(', '),
      after: kept.join(', '),
      explanation: 'the same datasets in another order',
      review: false,
      apply: (d) => (d.datasets = [...d.datasets].sort((x, y) => orderOf(kept, x.name) - orderOf(kept, y.name))),
    });
  }
  return changes;
}

function diffDataset(b: Dataset, a: Dataset): DraftChange[] {
  const changes: DraftChange[] = [];
  const at = { path: `datasets.${a.name}`, dataset: a.name };
  if (b.table !== a.table) {
    changes.push({
      kind: 'dataset-table-changed',
      ...at,
      path: `${at.path}.from`,
      before: b.table,
      after: a.table,
      explanation: `the rows now come from ${a.table} instead of ${b.table}`,
      review: true,
      apply: (d) => (find(d, b.name).table = a.table),
    });
  }
  if (!sameMeaning(b.where, a.where)) {
    const relation = compareConditions(b.where, a.where);
    const where = {
      ...at,
      path: `${at.path}.where`,
      ...values(b.where && printIrExpression(b.where), a.where && printIrExpression(a.where)),
      apply: (d: ExtractDefinition) => setOptional(find(d, b.name), 'where', a.where),
    };
    if (!a.where) changes.push({ kind: 'dataset-filter-removed', ...where, explanation: 'the filter is removed: every row of the table for the population is extracted', review: true });
    else if (!b.where) changes.push({ kind: 'dataset-filter-added', ...where, explanation: 'a filter is added: fewer rows are extracted', review: false });
    else if (relation === 'wider') changes.push({ kind: 'dataset-filter-widened', ...where, explanation: 'the filter admits more rows', review: true });
    else if (relation === 'narrower') changes.push({ kind: 'dataset-filter-narrowed', ...where, explanation: 'the filter admits fewer rows', review: false });
    else if (relation === 'same') changes.push({ kind: 'dataset-filter-rewritten', ...where, explanation: 'the filter is written differently but admits the same rows', review: false });
    else changes.push({ kind: 'dataset-filter-changed', ...where, explanation: 'the filter changed in a way exdef cannot tell is narrower, so it may admit more rows', review: true });
  }
  if (b.description !== a.description) {
    changes.push({
      kind: 'dataset-description-changed',
      ...at,
      path: `${at.path}.description`,
      ...values(b.description, a.description),
      explanation: 'the description is documentation; it does not change the data',
      review: false,
      apply: (d) => setOptional(find(d, b.name), 'description', a.description),
    });
  }
  changes.push(...diffFields(b, a));
  return changes;
}

function diffFields(b: Dataset, a: Dataset): DraftChange[] {
  const changes: DraftChange[] = [];
  const afterNames = new Set(a.fields.map((f) => f.name));
  const beforeNames = new Set(b.fields.map((f) => f.name));
  const removed = b.fields.filter((f) => !afterNames.has(f.name));
  const added = a.fields.filter((f) => !beforeNames.has(f.name));
  const renamed = pairUp(removed, added, (f) => canonicalKey(f.value));
  const oldName = new Map<string, string>([...a.fields.filter((f) => beforeNames.has(f.name)).map((f) => [f.name, f.name] as const), ...renamed.map(([x, y]) => [y.name, x.name] as const)]);
  const field = (f: Field) => ({ path: `datasets.${a.name}.fields.${f.name}`, dataset: a.name, field: f.name });
  const inClone = (d: ExtractDefinition) => find(d, b.name);

  for (const fa of a.fields) {
    const name = oldName.get(fa.name);
    const fb = name === undefined ? undefined : b.fields.find((f) => f.name === name);
    if (!fb) continue;
    const cloneField = (d: ExtractDefinition) => inClone(d).fields.find((f) => f.name === fb.name)!;
    if (fb.name !== fa.name) {
      changes.push({
        kind: 'field-renamed',
        ...field(fa),
        before: fb.name,
        after: fa.name,
        explanation: 'the same value under another column name',
        review: false,
        apply: (d) => (cloneField(d).name = fa.name),
      });
    }
    if (!sameMeaning(fb.value, fa.value)) {
      const judged = compareFieldValues(fb, fa);
      changes.push({
        kind: judged.kind,
        ...field(fa),
        before: printIrExpression(fb.value),
        after: printIrExpression(fa.value),
        explanation: judged.explanation,
        review: judged.grows,
        apply: (d) => Object.assign(cloneField(d), { value: fa.value, type: fa.type, sources: fa.sources, transform: fa.transform, sourceClassification: fa.sourceClassification }),
      });
    }
    if (fb.justification !== fa.justification) {
      changes.push({
        kind: 'justification-changed',
        ...field(fa),
        before: fb.justification,
        after: fa.justification,
        explanation: 'the justification is edited; it does not change the data (the reviewer may want to read it)',
        review: false,
        apply: (d) => (cloneField(d).justification = fa.justification),
      });
    }
  }
  for (const fa of added) {
    if (renamed.some(([, y]) => y === fa)) continue;
    changes.push({
      kind: 'field-added',
      ...field(fa),
      after: printIrExpression(fa.value),
      explanation: `a new field sends ${describeField(fa)}`,
      review: true,
      apply: (d) => inClone(d).fields.push(structuredClone(fa)),
    });
  }
  for (const fb of removed) {
    if (renamed.some(([x]) => x === fb)) continue;
    changes.push({
      kind: 'field-removed',
      ...field(fb),
      before: printIrExpression(fb.value),
      explanation: `the field is no longer sent (it sent ${describeField(fb)})`,
      review: false,
      apply: (d) => (inClone(d).fields = inClone(d).fields.filter((f) => f.name !== fb.name)),
    });
  }
  const kept = a.fields.map((f) => oldName.get(f.name)).filter((n): n is string => n !== undefined);
  const keptBefore = b.fields.map((f) => f.name).filter((n) => kept.includes(n));
  if (kept.join('\n') !== keptBefore.join('\n')) {
    changes.push({
      kind: 'field-reordered',
      path: `datasets.${a.name}.fields`,
      dataset: a.name,
      before: keptBefore.join(', '),
      after: kept.join(', '),
      explanation: `the columns of ${a.name}.csv come in another order`,
      review: false,
      apply: (d) => (inClone(d).fields = [...inClone(d).fields].sort((x, y) => orderOf(kept, x.name) - orderOf(kept, y.name))),
    });
  }
  return changes;
}

/** Pairs items of `removed` and `added` whose content is the same (renames), each at most once. */
function pairUp<T>(removed: T[], added: T[], content: (item: T) => string): [T, T][] {
  const pairs: [T, T][] = [];
  const free = added.map((a) => ({ a, key: content(a) }));
  for (const r of removed) {
    const key = content(r);
    const index = free.findIndex((f) => f.key === key);
    if (index < 0) continue;
    pairs.push([r, free[index]!.a]);
    free.splice(index, 1);
  }
  return pairs;
}

/** What makes two datasets the same apart from their names: table, filter and field values. */
function datasetContent(d: Dataset): string {
  return canonicalKey({ table: d.table, where: d.where, fields: d.fields.map((f) => ({ name: f.name, value: f.value })) });
}

function datasetSummary(d: Dataset): string {
  return `from ${d.table}${d.where ? ` where ${printIrExpression(d.where)}` : ''}: ${d.fields.map((f) => f.name).join(', ')}`;
}

function find(definition: ExtractDefinition, name: string): Dataset {
  const found = definition.datasets.find((d) => d.name === name);
  if (!found) throw new Error(`internal: dataset ${name} not found in the copy`);
  return found;
}

function orderOf(names: string[], name: string): number {
  const i = names.indexOf(name);
  return i < 0 ? names.length : i;
}
