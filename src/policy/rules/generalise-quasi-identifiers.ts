import type { IrExpr } from '../../ir/expression.js';
import { printIrExpression } from '../../diff/print-ir-expression.js';
import { walkIr } from '../../ir/walk.js';
import { exposures, type Exposure } from '../../resolve/exposure.js';
import { reconstructions } from '../../disclosure/derivations.js';
import { columnName, expressionSites } from '../expression-sites.js';
import type { RuleModule } from '../rule.js';

export const generaliseQuasiIdentifiers: RuleModule = {
  meta: {
    id: 'generalise-quasi-identifiers',
    category: 'minimisation',
    description:
      'In indirect care, dates of birth and death and full postcodes are generalised: year, month or age band of a date; the district of a postcode. A value computed from one keeps its precision unless a generalising function is applied to the column itself.',
    rationale:
      'The IM1 Data Protection Policy: consumers "must select the minimum data and fields required for the use case" and consider the risk of "singling out". A full date of birth with a full postcode identifies almost everyone; year of birth, age band and postcode district serve population analysis as well. Arithmetic does not generalise: `date_of_birth + 1` or `coalesce(date_of_birth, date_of_death)` is still the full date, and arithmetic inside a generalising function can scale the date before it is cut (`year(d + (date_of_birth - d) * 365)` is the day of birth).',
    source: 'IM1 Data Protection Policy (Minimisation of Data Egress; singling out)',
    triggers:
      'care_type is indirect and a field reads a full date (date_of_birth, date_of_death) or a full postcode somewhere other than directly inside year(), month(), age_years(), age_band(), postcode_district() or pseudonym() (coalesce(), case changes and shifts by a constant are allowed in between); or a filter (of a dataset or the population) pins one to a single value or a very narrow range — `=`, `in`, `between X and X`, `>= X and <= X` on the same value, bounds at most 7 days apart on a date (or at most 7 apart on a number computed from the full date, such as `date_of_birth - d` in days), or any range (`between`, or a lower and an upper bound together) on a full postcode, whose area a filter selects with postcode_district() — which is an error: it singles out a person or a household. A narrowing these miss (any arithmetic can hide a pin) is caught at run time: every dataset of the rows of patients is measured, one without quasi-identifiers as one group of the patients its rows are of. Two or more different generalisations of one column in a dataset or in linked datasets (`month(date_of_birth + 1)` beside `month(date_of_birth + 2)`, `year(...)` beside a shifted `month(...)`, age bands of widths 5 and 7) are a warning at the field that completes the set: together they tell the full value (disclosure-risk scores it so). In a repeated extract (every schedule: hourly to quarterly) a field showing age_years() of a date (of birth, or of any date of the record) is an error: the age goes up on the anniversary, so comparing consecutive extracts tells the day; an age band or the year (year(date_of_birth)) does not move on a day only the patient knows. A population narrowed by ordinary ranges (an age of 103 or over, one sex, one practice) cannot be judged statically: the run measures k on the data.',
    // Fields that show a full value are warnings (a justification may need the exact date); filters
    // that pin one are errors.
    defaultSeverity: 'error',
    hard: false,
    messages: {
      date: '`{field}` exposes the full {column}: {suggestion} would do for most analyses',
      postcode: '`{field}` exposes the full postcode {column}: postcode_district({column}) locates by neighbourhood without singling out a household',
      filter: 'the filter of {where} picks patients by their exact {column}: an exact date or postcode singles out a person or a household',
      derived: '`{field}` generalises {column} differently from `{first}`{linked}: together, different cuts of one value tell it in full',
      pinned: 'the filter of {where} pins {column} to {range}: a range this narrow on a full date or postcode picks a person or a household as surely as `=` does',
      ageRepeated:
        '`{field}` releases an age in years of {column} in a {frequency} extract: the age changes on the anniversary, so the extract that shows it one higher tells the recipient the day',
    },
    examples: {
      failing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: date_of_birth\n        value: date_of_birth + 0\n        justification: Age drives the risk models.' },
      passing: { yaml: 'datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: birth_year\n        value: year(date_of_birth)\n        justification: Age drives the risk models.' },
    },
  },
  check({ definition, catalogue, report, spanAt }) {
    if (definition.careType !== 'indirect') return;
    for (const r of reconstructions(definition, catalogue)) {
      const dataset = definition.datasets[r.dataset]!;
      const field = `${dataset.name}.${dataset.fields[r.field]!.name}`;
      const span = spanAt(`/datasets/${r.dataset}/fields/${r.field}/value`);
      report({
        messageId: 'derived',
        params: { field, column: r.column, first: r.first, linked: r.linked ? ` (in datasets ${r.linked.join(', ')}, linked)` : '' },
        ...(span ? { span } : {}),
        scope: { field },
        severity: 'warning',
        hints: [`keep one generalisation of ${r.column} (year(...), month(...) or age_band(...)) across the linked datasets`],
      });
    }
    for (const site of expressionSites(definition, catalogue.population.patient.table)) {
      if (site.role !== 'field') {
        const where = site.dataset ? `dataset \`${site.dataset}\`` : 'the population';
        const hints = ['select by a range (date_of_birth < ...), an age or an area (postcode_district(...) = ...), not by one exact value'];
        for (const e of exactMatches(site.expression)) {
          const span = e.node.span ?? spanAt(site.pointer);
          report({ messageId: 'filter', params: { where, column: columnName(e.column) }, ...(span ? { span } : {}), severity: 'error', hints });
        }
        for (const p of narrowRanges(site.expression)) {
          const span = p.span ?? spanAt(site.pointer);
          report({ messageId: 'pinned', params: { where, column: p.column, range: p.range }, ...(span ? { span } : {}), severity: 'error', hints });
        }
        continue;
      }
      const field = `${site.dataset}.${site.field!.name}`;
      for (const column of agesInYears(site.expression)) {
        const span = spanAt(site.pointer);
        report({
          messageId: 'ageRepeated',
          params: { field, column, frequency: definition.schedule.frequency.replace('_', ' ') },
          ...(span ? { span } : {}),
          scope: { field },
          severity: 'error',
          hints: [`write age_band(${column}, ...) or year(${column}): neither changes on the anniversary`],
        });
      }
      const reported = new Set<string>();
      for (const e of exposures(site.expression)) {
        if (e.column.classification !== 'quasi_identifier' || e.protection !== 'raw') continue;
        const name = columnName(e.column);
        if (reported.has(name)) continue;
        const span = spanAt(site.pointer);
        const at = { ...(span ? { span } : {}), scope: { field } };
        if (e.node.type === 'date' || e.node.type === 'timestamp') {
          reported.add(name);
          report({
            messageId: 'date',
            params: { field, column: name, suggestion: `year(${name}), month(${name}) or age_band(${name})` },
            ...at,
            severity: 'warning',
            hints: [`write value: year(${name}) (or month(...), age_band(...)) unless the exact date is needed, and say why in the justification`],
          });
        } else if (e.column.format === 'postcode') {
          reported.add(name);
          report({ messageId: 'postcode', params: { field, column: name }, ...at, severity: 'warning', hints: [`write value: postcode_district(${name})`] });
        }
      }
    }
  },
};

/**
 * The columns whose age in years a field shows (age_years(x) anywhere in the value but under a
 * boolean, which shows only the test): every schedule repeats the extract, and an age in years
 * goes up on the anniversary of x, so two consecutive extracts tell the day (a date of birth, or
 * the day of a diagnosis).
 */
function agesInYears(value: IrExpr): string[] {
  const found = new Set<string>();
  walkIr(value, (node) => {
    if (node.type === 'boolean') return 'skip';
    if (node.kind !== 'call' || node.fn !== 'age_years') return undefined;
    for (const e of exposures(node.args[0])) if (e.node.type === 'date' || e.node.type === 'timestamp') found.add(columnName(e.column));
    return undefined;
  });
  return [...found];
}

/** A full date or postcode, read as it is. */
const precise = (e: Exposure) => e.column.classification === 'quasi_identifier' && e.protection === 'raw' && (e.node.type === 'date' || e.node.type === 'timestamp' || e.column.format === 'postcode');

/**
 * Full dates and postcodes that a filter tests for equality (`=`, `in`), whatever the other side:
 * `date_of_birth = date '1980-05-12' + 0 * sex_code` picks one day as surely as a constant does.
 * Ranges are left alone (an age cohort is a range of birth dates).
 */
function exactMatches(expression: IrExpr): Exposure[] {
  const found: Exposure[] = [];
  walkIr(expression, (node) => {
    if (node.kind === 'binary' && node.op === '=') found.push(...exposures(node.left).filter(precise), ...exposures(node.right).filter(precise));
    else if (node.kind === 'inList' && !node.negated) found.push(...exposures(node).filter(precise));
    else return undefined;
    return 'skip';
  });
  return found;
}

/** Bounds this close pick one person or household: a week of dates of birth in a practice, or one postcode unit. */
const NARROW_DAYS = 7;

/** The literal a bound compares with, when it is one (a date, a timestamp or a text). */
function literalOf(e: IrExpr): string | undefined {
  if (e.kind !== 'literal') return undefined;
  return typeof e.value === 'string' ? e.value : typeof e.value === 'number' ? String(e.value) : undefined;
}

const normalisedPostcode = (text: string) => text.toUpperCase().replace(/\s+/g, '');

/** Whether bounds low..high on a full date or postcode leave (about) one value; the range as the message shows it. */
function narrow(e: Exposure, low: string, high: string, operand: IrExpr): string | undefined {
  if (e.column.format === 'postcode') {
    if (normalisedPostcode(low) === normalisedPostcode(high)) return `the one postcode '${low}'`;
    // A range of full postcodes is a list of streets, and a skewed pair of bounds
    // ('TS10 5PZZ'..'TS10 5QA0') holds a single unit whatever their lengths: postcode_district()
    // is how a filter selects an area.
    return `the postcodes '${low}' to '${high}' (a range of full postcodes)`;
  }
  const number = /^[+-]?\d+(\.\d+)?$/;
  if (number.test(low) && number.test(high)) {
    // A number computed from the full date (`date_of_birth - d`, in days): a few units apart
    // pins it as surely as a week of dates does. A number of a generalised date is not raw.
    if (operand.type !== 'integer' && operand.type !== 'numeric') return undefined;
    const width = Number(high) - Number(low);
    if (width === 0) return `the one value ${low} (computed from the full date)`;
    return width > 0 && width <= NARROW_DAYS ? `${low} to ${high} (${width} apart, computed from the full date)` : undefined;
  }
  const from = Date.parse(low);
  const to = Date.parse(high);
  // The same bound twice is `=` written as a range, whatever the value.
  if (!Number.isFinite(from) || !Number.isFinite(to)) return low === high ? `the one value ${low}` : undefined;
  const days = (to - from) / 86_400_000;
  if (days < 0 || days > NARROW_DAYS) return undefined;
  return days < 1 ? `the one day ${low}` : `${low} to ${high} (${Math.round(days)} days)`;
}

interface Pinned {
  column: string;
  range: string;
  span?: IrExpr['span'];
}

/**
 * Ranges that pin a full date or postcode: `x between L and H` and conjunctions of bounds on the
 * same value (`x >= L and x <= H`, in any order, anywhere in one chain of `and`), with literal
 * bounds that leave at most a week or one postcode unit (see narrow()). Other ranges are cohorts.
 */
function narrowRanges(expression: IrExpr): Pinned[] {
  const found: Pinned[] = [];
  const seen = new Set<IrExpr>();
  const preciseOf = (x: IrExpr) => exposures(x).find(precise);
  walkIr(expression, (node) => {
    if (node.kind === 'between' && !node.negated) {
      const e = preciseOf(node.operand);
      const low = literalOf(node.low);
      const high = literalOf(node.high);
      const range = e && low !== undefined && high !== undefined ? narrow(e, low, high, node.operand) : undefined;
      if (e && range) found.push({ column: columnName(e.column), range, span: node.span ?? e.node.span });
      return undefined;
    }
    if (node.kind !== 'binary' || node.op !== 'and' || seen.has(node)) return undefined;
    const conjuncts: IrExpr[] = [];
    const flatten = (n: IrExpr) => {
      if (n.kind === 'binary' && n.op === 'and') {
        seen.add(n);
        flatten(n.left);
        flatten(n.right);
      } else conjuncts.push(n);
    };
    flatten(node);
    const bounds = new Map<string, { e: Exposure; value: IrExpr; low?: string; high?: string; spans: IrExpr[] }>();
    for (const c of conjuncts) {
      if (c.kind !== 'binary' || !['<', '<=', '>', '>='].includes(c.op)) continue;
      // value op literal, or literal op value (flipped).
      const leftLiteral = literalOf(c.left);
      const value = leftLiteral === undefined ? c.left : c.right;
      const literal = leftLiteral ?? literalOf(c.right);
      const e = preciseOf(value);
      if (!e || literal === undefined) continue;
      const upper = leftLiteral === undefined ? c.op === '<' || c.op === '<=' : c.op === '>' || c.op === '>=';
      const key = printIrExpression(value);
      const entry = bounds.get(key) ?? { e, value, spans: [] };
      if (upper) entry.high = entry.high === undefined || literal < entry.high ? literal : entry.high;
      else entry.low = entry.low === undefined || literal > entry.low ? literal : entry.low;
      entry.spans.push(c);
      bounds.set(key, entry);
    }
    for (const b of bounds.values()) {
      if (b.low === undefined || b.high === undefined) continue;
      const range = narrow(b.e, b.low, b.high, b.value);
      if (range) found.push({ column: columnName(b.e.column), range, span: b.spans[b.spans.length - 1]!.span ?? b.e.node.span });
    }
    return undefined;
  });
  return found;
}
