import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isMap, parseDocument } from 'yaml';
import { resources } from '../resources.js';
import type { RuleExample } from './rule.js';

/** The shipped definition an example patches: indirect care (phm-warehouse) or direct care (chis-immunisations). */
export function exampleBase(example: RuleExample): string {
  const file = example.base === 'direct' ? 'chis-immunisations.exdef.yaml' : 'phm-warehouse.exdef.yaml';
  return readFileSync(join(resources.definitions, file), 'utf8');
}

/** A complete definition: the base with the example's top-level keys put in place of its own. */
export function applyExample(example: RuleExample): string {
  const document = parseDocument(exampleBase(example));
  const patch = parseDocument(example.yaml);
  const root = document.contents;
  const patchRoot = patch.contents;
  if (!isMap(root) || !isMap(patchRoot)) throw new Error('internal: a rule example must be a map of top-level keys');
  for (const pair of patchRoot.items) {
    document.set(pair.key, pair.value);
  }
  return document.toString({ lineWidth: 0 });
}
