import { CHANGE_CLASSES } from '../diff/change.js';
import { summaryLine } from '../diff/render-diff.js';
import { CHANGE_TITLE, CLASSIFICATION_LEGEND, CLASSIFICATION_ORDER, classificationWord, differentExtractWarning, expectedGroup, findingCounts, IDENTIFICATION_TEXT, measuredText, SECTIONS, verdict } from './report-text.js';
import type { ReviewReport } from './review-report.js';

/**
 * Text from the definition in Markdown: HTML-significant characters as entities (Markdown
 * renderers pass raw HTML through, so a title could otherwise inject markup), Markdown's own
 * punctuation escaped, line breaks folded (a table cell is one line).
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/\s*\n\s*/g, ' ');
}

/** Inline code that survives any backticks inside it. */
function code(text: string): string {
  const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = '`'.repeat(longest + 1);
  const padded = text.startsWith('`') || text.endsWith('`') ? ` ${text} ` : text;
  return `${fence}${padded.replace(/\n/g, ' ').replace(/\|/g, '\\|')}${fence}`;
}

/** English with `exdef text` kept as inline code. */
function prose(text: string): string {
  return text
    .split(/(`[^`]+`)/)
    .map((part) => (part.startsWith('`') && part.endsWith('`') && part.length > 1 ? code(part.slice(1, -1)) : escapeMarkdown(part)))
    .join('');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${header.join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** The same review as Markdown (for a pull request, a ticket or a wiki). */
export function renderMarkdown(report: ReviewReport): string {
  const r = report;
  const out: string[] = [
    `# IG review: ${escapeMarkdown(r.identity.title)}`,
    '',
    `${code(r.identity.id)} version ${r.identity.version} · ${code(r.file)} (${r.syntax === 'yaml' ? 'YAML' : 'exdef language'}) · judged on ${r.today}`,
    '',
    `fingerprint ${code(r.identity.fingerprint)} · digest ${code(r.identity.digest)}`,
    '',
    `> **${escapeMarkdown(verdict(r))}** (${findingCounts(r)})`,
    '',
  ];

  out.push(`## ${SECTIONS.findings}`, '');
  if (r.findings.items.length === 0) out.push('No findings: the definition passes every rule of the policy, with no warnings and no notes.', '');
  else out.push(`${findingCounts(r)}: errors first, then warnings, then notes, each in the order they appear in the file.`, '');
  const explained = new Set<string>();
  for (const f of r.findings.items) {
    out.push(`- **${f.severity}** ${code(f.code)}${f.location ? ` at ${code(f.location)}` : ''}: ${escapeMarkdown(f.message)}`);
    for (const h of f.hints) out.push(`  - hint: ${escapeMarkdown(h)}`);
    if (f.rule && !explained.has(f.code)) {
      out.push(`  - the rule${f.rule.hard ? ' (hard: always an error)' : ''}: ${escapeMarkdown(f.rule.description)}`);
      out.push(`  - why: ${escapeMarkdown(f.rule.rationale)} (${escapeMarkdown(f.rule.source)})`);
    } else if (f.rule) {
      out.push(`  - the rule: ${escapeMarkdown(f.rule.description)} (explained above)`);
    }
    explained.add(f.code);
  }
  if (r.findings.items.length > 0) out.push('');

  if (r.diff) {
    const c = r.diff;
    out.push(`## ${SECTIONS.changes}`, '');
    const different = differentExtractWarning(r);
    if (different) out.push(`> **⚠ Warning:** ${escapeMarkdown(different)}`, '');
    out.push(`Compared with ${code(c.old?.file ?? '')} (${escapeMarkdown(c.old?.id ?? '')} v${c.old?.version ?? ''}): ${escapeMarkdown(summaryLine(c))}.`, '');
    for (const cls of CHANGE_CLASSES) {
      const group = c.changes.filter((x) => x.class === cls);
      if (group.length === 0) continue;
      out.push(`### ${cls === 'needs-ig-review' ? '⚠ ' : ''}${CHANGE_TITLE[cls]} (${group.length})`, '');
      out.push(
        table(
          ['Class', 'Change', 'Before', 'After', 'Why it is classed so'],
          group.map((x) => [cls === 'needs-ig-review' ? `**${cls}**` : cls, `${code(x.kind)}${x.path ? ` ${code(x.path)}` : ''}`, x.before === undefined ? '(none)' : escapeMarkdown(x.before), x.after === undefined ? '(none)' : escapeMarkdown(x.after), escapeMarkdown(x.explanation)]),
        ),
        '',
      );
    }
  }

  out.push(`## ${SECTIONS.governance}`, '', table(['', ''], r.governance.map((g) => [`**${escapeMarkdown(g.label)}**`, g.value === undefined ? '**not stated**' : escapeMarkdown(g.value)])), '');

  const p = r.population;
  if (r.approvals) {
    const a = r.approvals;
    out.push(`## ${SECTIONS.approvals}`, '', `A run on ${a.date} extracts only the practices whose signed approval of exactly this definition holds (provider configuration ${code(a.provider)}).`, '');
    out.push(table(['Practice', `On ${a.date}`, 'Why'], a.practices.map((x) => [x.practice, x.approved ? 'extracted' : '**left out**', escapeMarkdown(x.reason)])), '');
    if (a.records.length > 0) out.push(table(['File', 'Kind', 'Practice', 'State', 'Detail'], a.records.map((s) => [code(s.file.split('/').pop() ?? s.file), s.kind, s.practice ?? '', s.state, escapeMarkdown(s.reason)])), '');
  }
  out.push(`## ${SECTIONS.population}`, '', `> ${prose(p.sentence)}`, '');
  if (p.filter) out.push(`As written: ${code(p.filter)}`, '');
  out.push(
    '### Choices and their justifications',
    '',
    table(['Topic', 'Choice', 'Justification'], p.choices.map((c) => [escapeMarkdown(c.topic), `${escapeMarkdown(c.choice)}${c.departsFromDefault ? ' (departs from the policy default)' : ''}`, c.justification ? escapeMarkdown(c.justification) : '—'])),
    '',
    '### Safeguards that always apply',
    '',
    ...p.guards.map((g) => `- ${escapeMarkdown(g)}`),
    '',
  );

  out.push(`## ${SECTIONS.datasets}`, '', 'Classification (of the most identifying column a field reads, before its transform):', '');
  for (const c of CLASSIFICATION_ORDER) out.push(`- **${classificationWord(c)}**: ${escapeMarkdown(CLASSIFICATION_LEGEND[c])}`);
  out.push('');
  for (const d of r.datasets) {
    out.push(`### Dataset ${code(d.name)} from ${escapeMarkdown(d.table)}`, '');
    if (d.description) out.push(escapeMarkdown(d.description), '');
    out.push(prose(d.rows), '');
    if (d.filter) out.push(`Filter as written: ${code(d.filter)}`, '');
    out.push(`Presents people as: ${IDENTIFICATION_TEXT[d.identification]}.`, '');
    out.push(
      table(
        ['Output name', 'Source', 'Classification', 'Sent as', 'Justification'],
        d.fields.map((f) => [code(f.name), code(f.source), `**${classificationWord(f.classification)}**`, prose(f.transform), escapeMarkdown(f.justification)]),
      ),
      '',
    );
  }

  const dr = r.disclosure;
  out.push(
    `## ${SECTIONS.disclosure}`,
    '',
    `The static score assumes ${dr.assumedListSize.toLocaleString('en-GB')} patients per practice; each bit of identifying information halves the group a row could belong to. The policy's threshold is k = ${dr.threshold}.`,
    '',
    dr.measured ? `Measured on ${code(dr.measured.target)} for the extract date ${dr.measured.extractDate}, with the k-anonymity query \`exdef run\` runs before anything leaves.` : escapeMarkdown(dr.notMeasured),
    '',
    table(
      ['Dataset', 'Presents people as', 'Quasi-identifiers', 'Static assessment', 'Measured smallest group (k)'],
      dr.datasets.map((x) => {
        const s = x.score;
        const identifiers = s.identifiers.length === 0 ? 'none' : escapeMarkdown(s.identifiers.map((q) => `${q.column} (${q.granularity}, ${q.bits.toFixed(1)} bits)`).join(' + '));
        const score =
          s.identifiers.length === 0
            ? s.directIdentifiers.length > 0
              ? `identifies by design: ${escapeMarkdown(s.directIdentifiers.join(', '))}`
              : 'no quasi-identifiers'
            : `**${s.level} risk**, ${s.bits.toFixed(1)} bits: about ${expectedGroup(s.expectedGroupSize)} of ${s.population.toLocaleString('en-GB')} patients share each combination`;
        return [code(x.dataset), x.identification, identifiers, score, dr.measured ? escapeMarkdown(measuredText(dr.measured.checks.find((c) => c.dataset === x.dataset))) : 'not measured'];
      }).concat(
        dr.linked.map((x) => {
          const s = x.score;
          const identifiers = escapeMarkdown(s.identifiers.map((q) => `${q.field}: ${q.column} (${q.granularity}, ${q.bits.toFixed(1)} bits)`).join(' + '));
          const score = `**${s.level} risk**, ${s.bits.toFixed(1)} bits: about ${expectedGroup(s.expectedGroupSize)} of ${s.population.toLocaleString('en-GB')} patients share each combination`;
          const check = dr.measured?.linked.find((c) => c.datasets.join('+') === x.datasets.join('+'));
          return [x.datasets.map(code).join(' + '), escapeMarkdown(`linked, one table to the recipient: ${x.links.join('; ')}`), identifiers, score, dr.measured ? escapeMarkdown(measuredText(check)) : 'not measured'];
        }),
      ),
    ),
    '',
  );

  out.push(`## ${SECTIONS.sql}`, '');
  if (!r.sql.compiled) {
    out.push(`**${escapeMarkdown(r.sql.reason)}**`, '');
  } else {
    out.push(...r.sql.guards.map((g) => `- ${escapeMarkdown(g)}`), '');
    for (const q of r.sql.queries) {
      out.push(`### ${escapeMarkdown(q.title)} (${code(q.file)})`, '');
      out.push(
        table(['$n', 'Parameter', 'Type', 'Value', 'Meaning'], q.parameters.map((x) => [x.placeholder, code(x.name), x.type, escapeMarkdown(x.shownValue), `${escapeMarkdown(x.meaning)}${x.at ? ` (${escapeMarkdown(x.at)})` : ''}`])),
        '',
      );
      const fence = '`'.repeat(Math.max(3, ...[...q.sql.matchAll(/`+/g)].map((m) => m[0].length + 1)));
      out.push(`${fence}sql`, q.sql, fence, '');
    }
  }
  return `${out.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd()}\n`;
}
