import type { Classification } from '../catalogue/catalogue.js';
import type { Span } from '../source/source-file.js';
import type { ColumnRef, IrExpr, ValueType } from './expression.js';

/**
 * The resolved extract definition: the one representation everything after parsing reads
 * (policy, compiler, executor, report, diff). Plain, serialisable data — no class instances.
 * Names are checked against the catalogue, expressions are typed, code sets are ECL trees.
 */
export interface ExtractDefinition {
  format: 1;
  id: string;
  title: string;
  version: number;
  owner: { organisation: string; contact: string };
  useCase: 'targeted_reporting' | 'data_warehouse' | 'direct_care_planning';
  careType: 'direct' | 'indirect';
  /** Governance as written; absent parts are reported by the policy (governance-complete). */
  intendedUse?: string;
  legalBasis: { article6?: string; article9?: string; statement?: string; dataProvisionNotice?: string };
  dpia?: string;
  risk: { singlingOut?: string; linkability?: string };
  review: { lastReviewed?: string; reviewer?: string };
  processingLocation: 'uk' | 'elsewhere';
  population: Population;
  mode: 'full' | 'delta';
  schedule: { frequency: Frequency; window?: { start: string; end: string } };
  output: Output;
  datasets: Dataset[];
  exemptions: Exemption[];
  /** Where the definition came from, for diagnostics and reports (not part of its meaning). */
  source: DefinitionSource;
}

export type Frequency = 'hourly' | 'twice_daily' | 'daily' | 'weekly' | 'fortnightly' | 'monthly' | 'quarterly';

export interface Population {
  registration: 'permanent' | 'all';
  registrationJustification?: string;
  deceased: 'exclude' | 'include';
  deceasedJustification?: string;
  type1OptOut: 'respect' | 'override';
  type1OptOutJustification?: string;
  /** Defaults to respect for indirect care and not_applicable for direct care. */
  nationalDataOptOut: 'respect' | 'not_applicable';
  nationalDataOptOutJustification?: string;
  onOptBackIn: 'no_backfill' | 'backfill';
  /**
   * A patient who leaves the population (opts out, dies, becomes PDS-sensitive, their registration
   * ends) is never sent again; `delete` (the default) tells the recipient to delete their rows, so
   * its copy always equals a fresh full extract; `keep` leaves their rows as last sent.
   */
  onLeave: 'delete' | 'keep';
  practices: string[];
  /** A filter on the patient table. */
  where?: IrExpr;
}

/**
 * How hard the ZIP's entries are deflated: store (none), fast (level 1, the default), default
 * (zlib's level 6) or best (level 9). The recipient unzips the same bytes whichever is chosen.
 */
export type Compression = 'store' | 'fast' | 'default' | 'best';

export interface Output {
  csv: { delimiter: string; quote: string; header: boolean; lineEnding: 'crlf' | 'lf' };
  layout: 'single_zip' | 'per_practice';
  /** Absent when the definition does not say: then fast (src/execute/zip-entry.ts). */
  compression?: Compression;
  encryption?: { certificate: string };
  delivery: { kind: 'none' } | { kind: 'sftp'; host: string; port: number; user: string; directory: string; hostKey: string };
}

/** How a field's value is derived from the columns it reads. */
export type Transform = 'none' | 'year' | 'month' | 'age_years' | 'age_band' | 'postcode_district' | 'pseudonym' | 'computed';

export interface Field {
  name: string;
  value: IrExpr;
  type: ValueType;
  justification: string;
  /** The columns the value reads. */
  sources: ColumnRef[];
  /**
   * The pseudonymising or generalising function when it is applied last and covers every column
   * read (src/resolve/exposure.ts); 'none' for a bare column, 'computed' for other derivations.
   */
  transform: Transform;
  /** The most identifying classification among the sources, before the transform. */
  sourceClassification: Classification;
  span?: Span;
}

export interface Dataset {
  name: string;
  description?: string;
  table: string;
  where?: IrExpr;
  fields: Field[];
  span?: Span;
}

export interface Exemption {
  rule: string;
  codeSet?: string;
  /** The datasets the exemption applies in (its scope): nowhere else. */
  datasets?: string[];
  /** Narrower scope: the fields (dataset.field) it applies to, within those datasets. */
  fields?: string[];
  legalBasis?: ExemptionLegalBasis;
  justification?: string;
  expires?: string;
  span?: Span;
}

/**
 * What allows an exemption: a UK GDPR Article 6 and Article 9 condition (from the closed lists of
 * src/policy/legal-basis.ts) and the reference of the instrument that sets the rule aside — a
 * statutory notice (a data provision notice, a COPI notice, a direction) or an approval (s251
 * support from the CAG, or similar).
 */
export interface ExemptionLegalBasis {
  article6?: string;
  article9?: string;
  notice?: string;
  approval?: string;
}

export interface DefinitionSource {
  file: string;
  syntax: 'yaml' | 'exdef';
  catalogue: string;
  /** Spans of the written values, by JSON pointer of the YAML format (/population/registration). */
  spans: Record<string, Span>;
  /** Spans of the keys (YAML) or keywords (exdef), by JSON pointer. */
  keySpans: Record<string, Span>;
  /**
   * Spans of the hidden and look-alike characters in text values (hidden-characters.ts), by
   * pointer and index (`/intended_use#12`), so a rule can point at the very character.
   */
  characterSpans?: Record<string, Span>;
  /** Comments by JSON pointer, kept for conversion. */
  comments: Record<string, string[]>;
}

/** How identifying a classification is, most first: used to pick a field's source classification. */
export const CLASSIFICATION_RANK: Record<Classification, number> = {
  document: 8,
  free_text: 7,
  control: 6,
  direct_identifier: 5,
  quasi_identifier: 4,
  clinical: 3,
  administrative: 2,
  system: 1,
};
