import { isAlias, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import { defineCodes } from '../diagnostics/define-codes.js';
import type { Diagnostic } from '../diagnostics/diagnostic.js';
import { showHidden } from './hidden-characters.js';
import { spanOf, type SourceFile } from './source-file.js';

/**
 * YAML is read as YAML: anchors, aliases and merge keys (`<<: *defaults`) work as the YAML
 * specification says. What a definition, catalogue or policy never needs, and what makes a file
 * say something other than it shows, is refused here with its place: explicit tags (`!!str`,
 * `!!binary`, `!custom`), a key written twice in one map, keys that are not plain text, aliases
 * to nothing, an alias inside the node it names (a cycle), an anchor defined twice, and aliases
 * that expand the document beyond any real definition (a "billion laughs" bomb).
 */
export const yamlStructureCodes = defineCodes({
  'yaml-tag': {
    severity: 'error',
    stage: 'source',
    message: (p: { tag: string }) => `the explicit YAML tag \`${p.tag}\` is not allowed: values are plain text, numbers, booleans, lists and maps`,
  },
  'yaml-duplicate-key': {
    severity: 'error',
    stage: 'source',
    message: (p: { key: string; line: number }) => `the key \`${p.key}\` is written twice in this map (first on line ${p.line}); YAML keeps only one of them`,
  },
  'yaml-complex-key': {
    severity: 'error',
    stage: 'source',
    message: () => 'a key must be plain text, not a list, a map or an alias',
  },
  'yaml-unknown-alias': {
    severity: 'error',
    stage: 'source',
    message: (p: { name: string }) => `the alias \`*${p.name}\` names no anchor written before it (\`&${p.name}\`)`,
  },
  'yaml-alias-cycle': {
    severity: 'error',
    stage: 'source',
    message: (p: { name: string }) => `the alias \`*${p.name}\` is inside the node its anchor names, so the value would contain itself without end`,
  },
  'yaml-anchor-redefined': {
    severity: 'error',
    stage: 'source',
    message: (p: { name: string; line: number }) => `the anchor \`&${p.name}\` is already defined on line ${p.line}; an alias would silently take the later one, so give each anchor its own name`,
  },
  'yaml-merge-not-a-map': {
    severity: 'error',
    stage: 'source',
    message: () => 'a merge key (`<<`) takes a map, an alias of a map, or a list of them',
  },
  'yaml-alias-expansion': {
    severity: 'error',
    stage: 'source',
    message: (p: { limit: number }) => `aliases expand this file to more than ${p.limit} values, far beyond any real file (an alias "bomb"); write the values out or use fewer aliases`,
  },
});

/** Values (nodes) a file may expand to through aliases. A large definition has a few thousand. */
export const MAX_EXPANDED_NODES = 50_000;

/**
 * Checks a parsed document's structure; an empty list means toJS is safe and means what it shows.
 * Recursion follows the written nesting only (already bounded by MAX_YAML_DEPTH): an alias is
 * counted by the size of its anchored node, computed when that node was walked.
 */
export function yamlStructureProblems(file: SourceFile, document: Document.Parsed): Diagnostic[] {
  const problems: Diagnostic[] = [];
  const span = (node: { range?: [number, number, number] | null }) => spanOf(file, node.range?.[0] ?? 0, node.range?.[1] ?? node.range?.[0] ?? 0);
  const lineOf = (node: { range?: [number, number, number] | null }) => span(node).start.line;
  const sizes = new Map<Node, number>();
  const anchors = new Map<string, Node>();
  const open = new Set<Node>();
  let expanded = 0;
  let bombReported = false;

  const walk = (node: unknown): number => {
    if (!node || typeof node !== 'object') return 0;
    if (isAlias(node)) {
      const target = node.resolve(document);
      if (!target) {
        problems.push(yamlStructureCodes.make('yaml-unknown-alias', { name: node.source }, span(node)));
        return 1;
      }
      if (open.has(target)) {
        problems.push(yamlStructureCodes.make('yaml-alias-cycle', { name: node.source }, span(node), [`remove *${node.source} from inside &${node.source}`]));
        return 1;
      }
      const size = sizes.get(target) ?? 1;
      expanded += size;
      if (expanded > MAX_EXPANDED_NODES && !bombReported) {
        bombReported = true;
        problems.push(yamlStructureCodes.make('yaml-alias-expansion', { limit: MAX_EXPANDED_NODES }, span(node)));
      }
      return size;
    }
    const n = node as Node;
    if (n.anchor) {
      const earlier = anchors.get(n.anchor);
      if (earlier && earlier !== n) problems.push(yamlStructureCodes.make('yaml-anchor-redefined', { name: n.anchor, line: lineOf(earlier) }, propertySpan(file, n, '&')));
      anchors.set(n.anchor, n);
    }
    if (n.tag && (isScalar(n) || isMap(n) || isSeq(n))) {
      const tag = n.tag.replace(/^tag:yaml\.org,2002:/, '!!');
      const hint = tag === '!!str' ? ["quote the value instead: '...'"] : ['remove the tag'];
      problems.push(yamlStructureCodes.make('yaml-tag', { tag }, propertySpan(file, n, '!'), hint));
    }
    open.add(n);
    let size = 1;
    if (isMap(n)) {
      const seen = new Map<string, Node>();
      for (const item of n.items) {
        if (!isPair(item)) continue;
        const key = item.key as Node | null;
        if (key && !isScalar(key)) problems.push(yamlStructureCodes.make('yaml-complex-key', {}, span(key)));
        else if (key) {
          if (key.tag) problems.push(yamlStructureCodes.make('yaml-tag', { tag: key.tag.replace(/^tag:yaml\.org,2002:/, '!!') }, propertySpan(file, key, '!'), ['remove the tag']));
          const name = typeof key.value === 'symbol' ? '<<' : String(key.value);
          const first = seen.get(name);
          if (first) {
            problems.push(
              yamlStructureCodes.make('yaml-duplicate-key', { key: showHidden(name), line: lineOf(first) }, span(key), [
                name === '<<' ? 'merge several anchors with one key: <<: [*first, *second]' : `remove one of the two \`${showHidden(name)}\` keys`,
              ]),
            );
          } else seen.set(name, key);
          if (name === '<<') {
            const value = item.value as Node | null;
            const resolved = (v: unknown) => (isAlias(v) ? v.resolve(document) : v);
            const sources = isSeq(value) ? value.items : [value];
            const wrong = sources.find((source) => !isMap(resolved(source)));
            if (wrong !== undefined) problems.push(yamlStructureCodes.make('yaml-merge-not-a-map', {}, span((wrong ?? key) as Node)));
          }
        }
        size += 1 + walk(item.value);
      }
    } else if (isSeq(n)) {
      for (const item of n.items) size += walk(item);
    }
    open.delete(n);
    sizes.set(n, size);
    return size;
  };
  const total = walk(document.contents);
  if (total > MAX_EXPANDED_NODES && !bombReported) problems.push(yamlStructureCodes.make('yaml-alias-expansion', { limit: MAX_EXPANDED_NODES }, spanOf(file, 0, 0)));
  return problems;
}

/** Where a node's tag (`!...`) or anchor (`&...`) is written: one of the two tokens before its value. */
function propertySpan(file: SourceFile, node: Node, sigil: '!' | '&'): ReturnType<typeof spanOf> {
  const text = file.text;
  const start = node.range?.[0] ?? 0;
  let end = start;
  for (let tokens = 0; tokens < 2; tokens++) {
    let j = end - 1;
    while (j >= 0 && /\s/.test(text[j]!)) j--;
    let k = j;
    while (k >= 0 && !/\s/.test(text[k]!)) k--;
    const token = text.slice(k + 1, j + 1);
    if (token.startsWith(sigil)) return spanOf(file, k + 1, j + 1);
    if (!token.startsWith('&') && !token.startsWith('!')) break;
    end = k + 1;
  }
  return spanOf(file, start, node.range?.[1] ?? start);
}
