import { plain, type Palette } from '../diagnostics/render-terminal.js';
import { CHANGE_CLASSES, type ChangeClass, type DefinitionChange } from './change.js';
import type { FileComparison } from './file-comparison.js';

const GROUP_TITLE: Record<ChangeClass, string> = {
  'needs-ig-review': 'needs IG review',
  'needs-new-baseline': 'needs a new baseline',
  'no-effect': 'no effect on the data',
};

const WIDTH = 60;

/**
 * A comparison for a person: a header line naming the two files, the changes grouped by class
 * (most serious first), one a line with its path and before → after and why, then a summary.
 */
export function renderComparison(c: FileComparison, p: Palette = plain): string {
  const lines = [p.bold(header(c))];
  if (c.status === 'error') return `${[...lines, `  ${p.red('error:')} ${c.error ?? 'cannot be compared'}`].join('\n')}\n`;
  const kindWidth = Math.max(0, ...c.changes.map((change) => change.kind.length));
  for (const cls of CHANGE_CLASSES) {
    const group = c.changes.filter((change) => change.class === cls);
    if (group.length === 0) continue;
    lines.push(`  ${colourOf(cls, p)(`${GROUP_TITLE[cls]} (${group.length}):`)}`);
    for (const change of group) lines.push(`    ${change.kind.padEnd(kindWidth)}  ${changeLine(change)}`);
  }
  lines.push(`  ${summaryLine(c)}`);
  return `${lines.join('\n')}\n`;
}

function header(c: FileComparison): string {
  const name = (side: FileComparison['old']) => (side?.id !== undefined ? ` (${side.id} v${side.version})` : '');
  switch (c.status) {
    case 'added':
      return `new definition: ${c.new?.file}${name(c.new)}`;
    case 'removed':
      return `removed definition: ${c.old?.file}${name(c.old)}`;
    default: {
      const o = c.old;
      const n = c.new;
      const ids = o?.id !== undefined && n?.id !== undefined ? (o.id === n.id ? o.id : `${o.id} → ${n.id}`) : undefined;
      const versions = o?.version === n?.version ? `v${n?.version}` : `v${o?.version} → v${n?.version}`;
      const label = ids === undefined ? '' : ` (${ids} ${versions})`;
      return `${o?.file ?? '(none)'} → ${n?.file ?? '(none)'}${label}`;
    }
  }
}

function changeLine(change: DefinitionChange): string {
  const where = change.path === '' ? '' : `${change.path}: `;
  if (change.before === undefined && change.after === undefined) return `${where}${change.explanation}`;
  const [before, after] = shortPair(change.before, change.after);
  return `${where}${before} → ${after} — ${change.explanation}`;
}

const CONTEXT = 24;

/**
 * Both values on one line each: whitespace collapsed, and a long value cut down to the part that
 * differs from the other, with a little context (the JSON output has them whole).
 */
function shortPair(before: string | undefined, after: string | undefined): [string, string] {
  const [b, a] = [before, after].map((v) => v?.replace(/\s+/g, ' ').trim());
  if (b === undefined || a === undefined || (b.length <= WIDTH && a.length <= WIDTH)) return [cut(b), cut(a)];
  let prefix = 0;
  while (prefix < b.length && prefix < a.length && b[prefix] === a[prefix]) prefix++;
  let suffix = 0;
  while (suffix < b.length - prefix && suffix < a.length - prefix && b[b.length - 1 - suffix] === a[a.length - 1 - suffix]) suffix++;
  const excerpt = (text: string) => {
    const end = text.length - suffix;
    // The context starts and ends at word boundaries when there is one close enough.
    const space = text.indexOf(' ', prefix - CONTEXT);
    const head = prefix > CONTEXT ? `...${text.slice(space >= 0 && space < prefix ? space + 1 : prefix - CONTEXT, prefix)}` : text.slice(0, prefix);
    const middle = cut(text.slice(prefix, end));
    const last = text.lastIndexOf(' ', end + CONTEXT);
    const tail = suffix > CONTEXT ? `${text.slice(end, last > end ? last : end + CONTEXT)}...` : text.slice(end);
    return `${head}${middle}${tail}`;
  };
  return [excerpt(b), excerpt(a)];
}

function cut(value: string | undefined): string {
  if (value === undefined) return '(none)';
  return value.length > WIDTH ? `${value.slice(0, WIDTH - 3)}...` : value;
}

/** "2 changes need IG review, 1 needs a new baseline; the fingerprint changed: the next run is a full extract". */
export function summaryLine(c: FileComparison): string {
  if (c.status === 'unchanged') return 'unchanged';
  const counts = c.counts;
  if (c.changes.length === 0) return `no change in meaning; the fingerprint is ${c.fingerprintChanged ? 'changed: the next run is a full extract' : 'unchanged'}`;
  const parts: string[] = [];
  const add = (n: number, singular: string, plural: string) => {
    if (n === 0) return;
    const noun = parts.length === 0 ? ` change${n === 1 ? '' : 's'}` : '';
    parts.push(`${n}${noun} ${n === 1 ? singular : plural}`);
  };
  add(counts['needs-ig-review'], 'needs IG review', 'need IG review');
  add(counts['needs-new-baseline'], 'needs a new baseline', 'need a new baseline');
  add(counts['no-effect'], 'has no effect on the data', 'have no effect on the data');
  const review = counts['needs-ig-review'] === 0 ? '; nothing needs IG review' : '';
  if (c.status === 'added') return `${parts.join(', ')}: the first run is a full extract`;
  if (c.status === 'removed') return `${parts.join(', ')}${review}`;
  return `${parts.join(', ')}${review}; ${c.fingerprintChanged ? 'the fingerprint changed: the next run is a full extract' : 'the fingerprint is unchanged: delta runs carry on'}`;
}

/** The closing line of `exdef diff --base`: every definition compared, counted by outcome. */
export function renderTotals(comparisons: readonly FileComparison[], base: string): string {
  const compared = comparisons.length;
  if (compared === 0) return `no definition files to compare with ${base}\n`;
  const count = (f: (c: FileComparison) => boolean) => comparisons.filter(f).length;
  const review = count((c) => c.class === 'needs-ig-review');
  const baseline = count((c) => c.status !== 'added' && c.status !== 'error' && c.fingerprintChanged);
  const unchanged = count((c) => c.status === 'unchanged' || (c.status === 'changed' && c.changes.length === 0));
  const errors = count((c) => c.status === 'error');
  const parts = [`${review} need${review === 1 ? 's' : ''} IG review`, `${baseline} need${baseline === 1 ? 's' : ''} a new baseline`, `${unchanged} unchanged in meaning`];
  if (errors > 0) parts.push(`${errors} cannot be compared`);
  return `${compared} definition${compared === 1 ? '' : 's'} compared with ${base}: ${parts.join(', ')}\n`;
}

function colourOf(cls: ChangeClass, p: Palette): (text: string) => string {
  return cls === 'needs-ig-review' ? p.red : cls === 'needs-new-baseline' ? p.yellow : p.dim;
}
