import type { Exemption, ExtractDefinition } from '../ir/extract-definition.js';
import { setOptional, values } from './diff-governance.js';
import type { DraftChange } from './draft-change.js';

/**
 * Changes to the exemptions, matched by rule and code set. An exemption lifts a policy guard,
 * so a new one (or one that covers more fields, or lasts longer) widens what leaves the practice.
 */
export function diffExemptions(before: ExtractDefinition, after: ExtractDefinition): DraftChange[] {
  const changes: DraftChange[] = [];
  const keyed = (list: Exemption[]) => {
    const seen = new Map<string, number>();
    return list.map((e) => {
      const base = e.codeSet ? `${e.rule}[${e.codeSet}]` : e.rule;
      const n = (seen.get(base) ?? 0) + 1;
      seen.set(base, n);
      return { key: n === 1 ? base : `${base}#${n}`, exemption: e };
    });
  };
  const b = keyed(before.exemptions);
  const a = keyed(after.exemptions);
  /** The exemption of the copy of the old definition that has this key. */
  const inClone = (d: ExtractDefinition, key: string) => {
    const index = b.findIndex((x) => x.key === key);
    return d.exemptions[index]!;
  };

  for (const { key, exemption: ea } of a) {
    const path = `exemptions.${key}`;
    const eb = b.find((x) => x.key === key)?.exemption;
    if (!eb) {
      changes.push({
        kind: 'exemption-added',
        path,
        after: describe(ea),
        explanation: `a new exemption from rule ${ea.rule}${ea.codeSet ? ` admits the ${ea.codeSet} code set` : ''}: a policy guard is lifted`,
        review: true,
        apply: (d) => d.exemptions.push(structuredClone(ea)),
      });
      continue;
    }
    const fb = eb.fields ?? [];
    const fa = ea.fields ?? [];
    const more = fa.filter((f) => !fb.includes(f));
    const fewer = fb.filter((f) => !fa.includes(f));
    // No fields means the exemption is not limited to fields: adding some narrows it, removing all widens it.
    const widened = (fb.length > 0 && fa.length === 0) || (fb.length > 0 && more.length > 0);
    const narrowed = (fb.length === 0 && fa.length > 0) || (fa.length > 0 && fewer.length > 0);
    const setFields = (d: ExtractDefinition) => setOptional(inClone(d, key), 'fields', ea.fields && [...ea.fields]);
    if (widened) {
      changes.push({
        kind: 'exemption-fields-added',
        path: `${path}.fields`,
        ...values(listOrAll(fb), listOrAll(fa)),
        explanation: 'the exemption covers more fields',
        review: true,
        apply: setFields,
      });
    }
    if (narrowed && !widened) {
      changes.push({
        kind: 'exemption-fields-removed',
        path: `${path}.fields`,
        ...values(listOrAll(fb), listOrAll(fa)),
        explanation: 'the exemption covers fewer fields',
        review: false,
        apply: setFields,
      });
    }
    if (!widened && !narrowed && fb.join('\n') !== fa.join('\n')) {
      changes.push({
        kind: 'exemption-text-changed',
        path: `${path}.fields`,
        ...values(listOrAll(fb), listOrAll(fa)),
        explanation: 'the same fields, listed in another order',
        review: false,
        apply: setFields,
      });
    }
    // The datasets are the exemption's scope: a new one releases what the exemption admits there too.
    const db = eb.datasets ?? [];
    const da = ea.datasets ?? [];
    const addedDatasets = da.filter((x) => !db.includes(x));
    const removedDatasets = db.filter((x) => !da.includes(x));
    const setDatasets = (d: ExtractDefinition) => setOptional(inClone(d, key), 'datasets', ea.datasets && [...ea.datasets]);
    if (addedDatasets.length > 0) {
      changes.push({
        kind: 'exemption-datasets-added',
        path: `${path}.datasets`,
        ...values(db.join(', ') || '(none)', da.join(', ') || '(none)'),
        explanation: `the exemption now also applies in ${addedDatasets.join(', ')}`,
        review: true,
        apply: setDatasets,
      });
    } else if (removedDatasets.length > 0) {
      changes.push({
        kind: 'exemption-datasets-removed',
        path: `${path}.datasets`,
        ...values(db.join(', ') || '(none)', da.join(', ') || '(none)'),
        explanation: `the exemption no longer applies in ${removedDatasets.join(', ')}`,
        review: false,
        apply: setDatasets,
      });
    } else if (db.join('\n') !== da.join('\n')) {
      changes.push({
        kind: 'exemption-text-changed',
        path: `${path}.datasets`,
        ...values(db.join(', '), da.join(', ')),
        explanation: 'the same datasets, listed in another order',
        review: false,
        apply: setDatasets,
      });
    }
    if (eb.expires !== ea.expires) {
      const longer = ea.expires === undefined || (eb.expires !== undefined && ea.expires > eb.expires);
      changes.push({
        kind: 'exemption-expiry-changed',
        path: `${path}.expires`,
        ...values(eb.expires, ea.expires),
        explanation: longer ? (ea.expires === undefined ? 'the exemption no longer expires' : 'the exemption lasts longer') : 'the exemption ends sooner',
        review: longer,
        apply: (d) => setOptional(inClone(d, key), 'expires', ea.expires),
      });
    }
    if (JSON.stringify(eb.legalBasis ?? null) !== JSON.stringify(ea.legalBasis ?? null)) {
      // Another condition or another notice is what a reviewer signs off: a change of basis is reviewed.
      changes.push({
        kind: 'exemption-text-changed',
        path: `${path}.legal_basis`,
        ...values(describeBasis(eb.legalBasis), describeBasis(ea.legalBasis)),
        explanation: `the exemption's legal basis is ${eb.legalBasis === undefined ? 'added' : ea.legalBasis === undefined ? 'removed' : 'changed'}: the reviewer must check it`,
        review: true,
        apply: (d) => setOptional(inClone(d, key), 'legalBasis', ea.legalBasis && { ...ea.legalBasis }),
      });
    }
    for (const [prop, yaml] of [['justification', 'justification']] as const) {
      if (eb[prop] === ea[prop]) continue;
      changes.push({
        kind: 'exemption-text-changed',
        path: `${path}.${yaml}`,
        ...values(eb[prop], ea[prop]),
        explanation: `the exemption's ${yaml.replace('_', ' ')} is ${eb[prop] === undefined ? 'added' : ea[prop] === undefined ? 'removed' : 'edited'}; it does not change the data`,
        review: false,
        apply: (d) => setOptional(inClone(d, key), prop, ea[prop]),
      });
    }
  }
  for (const { key, exemption: eb } of b) {
    if (a.some((x) => x.key === key)) continue;
    changes.push({
      kind: 'exemption-removed',
      path: `exemptions.${key}`,
      before: describe(eb),
      explanation: `the exemption from rule ${eb.rule} is withdrawn: the policy guard applies again`,
      review: false,
      apply: (d) => (d.exemptions = d.exemptions.filter((_, i) => i !== b.findIndex((x) => x.key === key))),
    });
  }
  return changes;
}

function describe(e: Exemption): string {
  const parts = [`rule ${e.rule}`];
  if (e.codeSet) parts.push(`code set ${e.codeSet}`);
  if (e.datasets) parts.push(`datasets ${e.datasets.join(', ')}`);
  if (e.fields) parts.push(`fields ${e.fields.join(', ')}`);
  if (e.expires) parts.push(`until ${e.expires}`);
  return parts.join(', ');
}

function describeBasis(basis: Exemption['legalBasis']): string | undefined {
  if (!basis) return undefined;
  return [basis.article6, basis.article9, basis.notice && `notice ${basis.notice}`, basis.approval && `approval ${basis.approval}`].filter(Boolean).join('; ');
}

function listOrAll(fields: string[]): string {
  return fields.length === 0 ? '(all)' : fields.join(', ');
}
