import type { ExtractDefinition } from '../ir/extract-definition.js';
import { textProblems, type TextProblem } from './meaningful-text.js';
import type { Policy } from './policy.js';
import { referenceProblem } from './reference-text.js';

/**
 * The closed lists of UK GDPR conditions an exemption's legal basis is chosen from. A condition is
 * written with its number first, exactly as listed (`6(1)(e)`, `9(2)(h)`), optionally followed by
 * words that name it (`6(1)(e) public task`); anything else is not a condition. The words are for
 * the reader: the number is what the law and the reviewer go by.
 */

export interface LegalCondition {
  /** The accepted spelling: 6(1)(e). */
  code: string;
  /** What it is, in the words of the Regulation (shortened). */
  title: string;
}

/** UK GDPR Article 6(1): the lawful bases for processing. */
export const ARTICLE_6_CONDITIONS: readonly LegalCondition[] = [
  { code: '6(1)(a)', title: 'consent' },
  { code: '6(1)(b)', title: 'contract' },
  { code: '6(1)(c)', title: 'legal obligation' },
  { code: '6(1)(d)', title: 'vital interests' },
  { code: '6(1)(e)', title: 'public task' },
  { code: '6(1)(f)', title: 'legitimate interests' },
];

/** UK GDPR Article 9(2): the conditions for processing special category (health) data. */
export const ARTICLE_9_CONDITIONS: readonly LegalCondition[] = [
  { code: '9(2)(a)', title: 'explicit consent' },
  { code: '9(2)(b)', title: 'employment, social security and social protection' },
  { code: '9(2)(c)', title: 'vital interests' },
  { code: '9(2)(d)', title: 'not-for-profit bodies' },
  { code: '9(2)(e)', title: 'made public by the data subject' },
  { code: '9(2)(f)', title: 'legal claims or judicial acts' },
  { code: '9(2)(g)', title: 'reasons of substantial public interest' },
  { code: '9(2)(h)', title: 'health or social care' },
  { code: '9(2)(i)', title: 'public health' },
  { code: '9(2)(j)', title: 'archiving, research and statistics' },
];

export type Article = 6 | 9;

/** The conditions of an article. */
export function conditionsOf(article: Article): readonly LegalCondition[] {
  return article === 6 ? ARTICLE_6_CONDITIONS : ARTICLE_9_CONDITIONS;
}

/**
 * The condition a text cites, or undefined when it does not start with one of the article's
 * conditions exactly as listed (followed by the end of the text or a space). `6(1)(z)`, `Art 6`,
 * `6.1.e` and `9(2)(h)` given for Article 6 are not conditions.
 */
export function citedCondition(article: Article, text: string | undefined): LegalCondition | undefined {
  if (text === undefined) return undefined;
  return conditionsOf(article).find((c) => text === c.code || text.startsWith(`${c.code} `));
}

/** A hint that lists the accepted spellings of an article's conditions. */
export function conditionsHint(article: Article): string {
  const key = article === 6 ? 'article_6' : 'article_9';
  return `${key} starts with one of ${conditionsOf(article).map((c) => `${c.code} (${c.title})`).join(', ')}`;
}

/**
 * What is wrong with a statutory notice's reference (legal_basis.data_provision_notice), or
 * undefined when it is one: it names a document that exists, by its number (`DPN 2024-017`,
 * `COPI notice 2020 regulation 3(4)`). A placeholder (n/a, TBC, "-"), a text that says the notice
 * does not exist yet (requested, pending, awaiting, applied for, draft, to follow, not yet, TBC),
 * a pointer elsewhere ("see DPIA section 4") or a name without a number is not a notice.
 */
export function noticeProblem(text: string, policy: Policy): TextProblem | undefined {
  const general = textProblems(text, 'reference', policy)[0];
  if (general) return general;
  if (referenceProblem(text, policy)) return { kind: 'vague-reference', detail: 'it does not identify a notice (give the reference it is known by, e.g. DPN 2024-017)' };
  return undefined;
}

/**
 * The statutory notice the definition relies on, or undefined when it cites none or cites one that
 * is not a reference (noticeProblem). Every rule that lets a notice unlock something — identifiers
 * in indirect care, the Type 1 override, setting the National Data Opt-out aside — reads the notice
 * through this function, so an invalid notice counts as no notice; governance-complete reports it.
 */
export function statutoryNotice(definition: Pick<ExtractDefinition, 'legalBasis'>, policy: Policy): string | undefined {
  const notice = definition.legalBasis.dataProvisionNotice;
  if (notice === undefined || !notice.trim()) return undefined;
  return noticeProblem(notice, policy) ? undefined : notice;
}
