import type { Catalogue } from '../catalogue/catalogue.js';
import type { Severity } from '../diagnostics/diagnostic.js';
import type { ExtractDefinition } from '../ir/extract-definition.js';
import type { Span } from '../source/source-file.js';
import type { CodeSetIndex } from './code-sets.js';
import type { Policy } from './policy.js';

export type RuleCategory = 'use-case' | 'governance' | 'minimisation' | 'hard' | 'population' | 'sensitive-codes' | 'schedule' | 'disclosure' | 'exemptions' | 'delivery';

/**
 * Everything known about a rule, in one place: the rule list, `exdef rules`, `exdef explain`,
 * the SARIF rule descriptions and the generated docs/rules pages all read it.
 */
export interface RuleMeta {
  /** Stable kebab-case id: what exemptions, severity overrides and CI configurations name. */
  id: string;
  category: RuleCategory;
  /** One line: what the rule requires. */
  description: string;
  /** Why, citing the policy by its name (IM1 Data Protection Policy, IM1 Bulk Extract guide, IM1 Interface Mechanism Standard), never a file. */
  rationale: string;
  /** Where the policy text comes from. */
  source: string;
  /** What in a definition triggers it. */
  triggers: string;
  defaultSeverity: Severity;
  /** Hard rules are always errors: no policy file can lower them and no exemption lifts them. */
  hard: boolean;
  /** The message of each kind of finding, by message id. Parameters are typed by the rule. */
  messages: Record<string, string>;
  /** JSON Schema of the rule's options in a policy file (thresholds and lists). */
  optionSchema?: object;
  /** A definition fragment (YAML) that triggers the rule, and one that does not. */
  examples: { failing: RuleExample; passing: RuleExample };
}

/**
 * An example as a patch on a complete, valid definition: the top-level keys given in `yaml`
 * replace the base's (a whole `datasets:` block when the example is about datasets). The base is
 * definitions/phm-warehouse.exdef.yaml (indirect care) or chis-immunisations (direct care).
 * Tests check that every failing example triggers its rule and every passing one does not.
 */
export interface RuleExample {
  yaml: string;
  base?: 'indirect' | 'direct';
  /** What the reader should notice. */
  note?: string;
}

export interface Finding {
  messageId: string;
  params: Record<string, string | number>;
  span?: Span;
  hints?: string[];
  /**
   * Where the finding is, for exemptions: the code set it is about, and the dataset or the
   * dataset.field it is in (absent outside datasets, e.g. the population filter). When a rule
   * gives neither dataset nor field, the place is found from the span.
   */
  scope?: { codeSet?: string; dataset?: string; field?: string };
  /** Severity of this finding when the rule reports some findings as information only. */
  severity?: Severity;
}

export interface RuleContext {
  definition: ExtractDefinition;
  /** The catalogue the definition was resolved against (which column is the PDS flag, ...). */
  catalogue: Catalogue;
  policy: Policy;
  /** The date every date check is made on (YYYY-MM-DD). */
  today: string;
  /**
   * The date an exemption's expiry is judged on: today, or for a run the later of the extract date
   * and the clock's, so that a past --today never revives an expired exemption.
   */
  exemptionDate: string;
  codeSets: CodeSetIndex;
  report(finding: Finding): void;
  /** Where a part of the definition is written (JSON pointer of the YAML format), or its nearest parent. */
  spanAt(pointer: string, prefer?: 'value' | 'key'): Span | undefined;
}

export interface RuleModule {
  meta: RuleMeta;
  check(context: RuleContext): void;
}

/** Fills {name} placeholders of a message template. */
export function formatMessage(template: string, params: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in params ? String(params[name]) : whole));
}
