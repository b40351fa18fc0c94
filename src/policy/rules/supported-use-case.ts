import { lookAlikeSkeleton } from '../../source/hidden-characters.js';
import type { RuleModule } from '../rule.js';

/**
 * Purposes beyond the care of the individual (the IM1 Data Protection Policy: research, planning, risk stratification are
 * indirect care). Matched on the text as a reader sees it, lower case.
 */
const SECONDARY_PURPOSE =
  /\b(?:research(?:ers?)?|(?:cohort|observational|longitudinal|academic|university|epidemiological)\s+stud(?:y|ies)|clinical\s+trials?|trial\s+recruitment|secondary\s+(?:use|uses|analysis|analyses|purposes?)|analytics|statistics|statistical\s+analys[ie]s|publication|publish(?:ed|ing)?|epidemiolog\w*|(?:service|services|capacity|workforce)\s+planning|planning\s+(?:of|for)\s+(?:the\s+)?(?:health\s+)?services|population\s+health|risk\s+stratification|commissioning\s+(?:of|decisions|intelligence)|benchmarking|surveillance|performance\s+monitoring)\b/iu;

/** Words that say the data serves the care of the individuals it is about. */
const INDIVIDUAL_CARE =
  /\b(?:direct\s+care|individual\s+care|(?:call|and)\s+recall|recall\s+(?:service|of|list)|invit(?:e|es|ed|ing|ation|ations)|treat(?:s|ed|ing|ment)?|clinical\s+care|case\s+management|annual\s+review|care\s+of\s+(?:the|each|their|its|every)\s+(?:patient|child|person|woman|man|individual)s?|(?:patient|child|person|woman|individual)'?s\s+(?:own\s+)?care)\b/iu;

/** The secondary purpose a text names, when it does not also speak of the care of individuals ('only'), or names both ('mixed'). */
function secondaryPurpose(text: string | undefined): { phrase: string; only: boolean } | undefined {
  if (!text) return undefined;
  const seen = lookAlikeSkeleton(text);
  const m = seen.match(SECONDARY_PURPOSE);
  if (!m) return undefined;
  return { phrase: m[0], only: !INDIVIDUAL_CARE.test(seen) };
}

/**
 * Refused use cases (record viewers, patient-facing services, data migration) never reach the IR:
 * the format's schema lists them as refused (x-refused) and lint reports them under this rule's id
 * (see policy/refused-values.ts). On the IR the rule checks that the use case fits the care type.
 */
export const supportedUseCase: RuleModule = {
  meta: {
    id: 'supported-use-case',
    category: 'use-case',
    description:
      'IM1 Bulk supports three use cases only — targeted reporting, data warehouse, and direct care planning by an organisation with a legitimate relationship — and each must fit its care type.',
    rationale:
      'The IM1 Data Protection Policy, "Supported Use Cases": "The only supported use cases for IM1 Bulk Extracts are: targeted extracts for specific reporting use cases (e.g. CH-IS extracts); broad data extract to transfer to data warehouse (e.g. PHM/extracts); direct care planning where the organisation has a legitimate relationship (e.g. the GP Practice themselves running call/recall processes)." It must not be used for direct care by third parties (record viewers, clinical decision support: use IM1 transactional), patient-facing services (use IM1 PFS) or data migration (use the NHS data migration standard). The IM1 Data Protection Policy defines risk stratification and service planning as indirect care.',
    source: 'IM1 Data Protection Policy (Supported Use Cases; Definitions)',
    triggers:
      'use_case is record_viewer, clinical_decision_support, patient_facing or data_migration; direct_care_planning with care_type indirect; data_warehouse with care_type direct. With care_type direct: an error where intended_use or legal_basis.statement names a purpose beyond the care of the individuals (research, a cohort study, clinical trials, secondary use or analysis, analytics, statistics, publication, epidemiology, service or capacity planning, population health, risk stratification, commissioning, benchmarking, surveillance) and says nothing of their care (direct care, call and recall, invitations, treatment, case management, care of the patient ...), or where legal_basis.article_9 is 9(2)(j) (archiving, research and statistics); a warning where the text names both (the secondary part is indirect care and needs its own extract).',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      refused: '`{value}` is not a use case IM1 Bulk supports: {reason}',
      planningIsDirect: 'direct_care_planning is direct care, but care_type says indirect',
      warehouseIsIndirect: 'a data warehouse feed serves a population (indirect care), but care_type says direct',
      secondaryIsIndirect: '{where} speaks of {phrase}, not of the care of the individuals, but care_type says direct: research, planning and other secondary uses are indirect care',
      mixedPurpose: '{where} speaks of {phrase} as well as of the care of the individuals: under care_type direct the data may serve their care only',
      researchCondition: 'legal_basis.article_9 is 9(2)(j) (archiving, research and statistics), but care_type says direct',
    },
    examples: {
      failing: { yaml: 'use_case: record_viewer', note: 'A record viewer is direct care by a third party: IM1 transactional is the route for it.' },
      passing: { yaml: 'use_case: data_warehouse\ncare_type: indirect' },
    },
  },
  check({ definition, report, spanAt }) {
    if (definition.useCase === 'direct_care_planning' && definition.careType === 'indirect') {
      report({ messageId: 'planningIsDirect', params: {}, span: spanAt('/care_type'), hints: ['set care_type: direct, or choose targeted_reporting or data_warehouse'] });
    }
    if (definition.useCase === 'data_warehouse' && definition.careType === 'direct') {
      report({
        messageId: 'warehouseIsIndirect',
        params: {},
        span: spanAt('/care_type'),
        hints: ['set care_type: indirect; direct care by a third party uses IM1 transactional, not a bulk extract'],
      });
    }
    if (definition.careType === 'direct') {
      // Declaring direct care unlocks identifiers, the Type 1 override and the National Data Opt-out:
      // the purpose the definition states must be the care of the individuals.
      for (const [pointer, where, text] of [
        ['/intended_use', 'intended_use', definition.intendedUse],
        ['/legal_basis/statement', 'legal_basis.statement', definition.legalBasis.statement],
      ] as const) {
        const found = secondaryPurpose(text);
        if (!found) continue;
        const span = spanAt(pointer);
        report({
          messageId: found.only ? 'secondaryIsIndirect' : 'mixedPurpose',
          params: { where, phrase: `"${found.phrase}"` },
          ...(span ? { span } : {}),
          ...(found.only ? {} : { severity: 'warning' as const }),
          hints: ['set care_type: indirect (with the opt-outs respected and identifiers pseudonymised), or describe the direct care the extract serves; research needs its own legal basis and extract'],
        });
      }
      if (definition.legalBasis.article9?.trim().startsWith('9(2)(j)')) {
        const span = spanAt('/legal_basis/article_9');
        report({ messageId: 'researchCondition', params: {}, ...(span ? { span } : {}), hints: ['direct care relies on 9(2)(h) provision of health care; research is indirect care'] });
      }
    }
  },
};
