import { linkedGroups, measuredMembers, sharedKeys } from '../../disclosure/linked-datasets.js';
import { combinedDisclosureScore, disclosureScore, explainScore, groupText, type DisclosureScore } from '../../disclosure/static-score.js';
import type { RuleModule } from '../rule.js';

export const disclosureRisk: RuleModule = {
  meta: {
    id: 'disclosure-risk',
    category: 'disclosure',
    description:
      'The combination of quasi-identifiers in each dataset, and in each group of datasets linked by the same pseudonym or by the order of their rows (the mosaic effect), is scored: in indirect care, rows must not be expected to single people out.',
    rationale:
      'The IM1 Data Protection Policy: "the consumer must give special consideration to, and provide a statement on the risk of a) singling out b) linkability (otherwise known as the mosaic effect)" (ICO guidance). Each quasi-identifier narrows the group a row could belong to: a full date of birth with a full postcode and sex singles out almost everyone, while year of birth, sex and district leave large groups. Datasets that carry the same linkage key — a pseudonym made with the same key from the same unique identifier (key names are compared as the run finds the key: `My-Key` is `my_key`), the raw patient key, in delta mode the record ids of one table, or in full mode nothing at all when they are of the same table with the same filter (compared after folding tautologies and contradictions such as `1 = 1`, `x = x`, `... or true`, `P and true`, and sorting the conjuncts), or when one selects the rows of the other that columns the other shows pick out (`where sex = \'male\'` beside a dataset showing sex; a dataset split into one subset per sex is rebuilt whole): their rows are the same rows written in the same order, that of the table key, and line up by row number ("rows in the same order") — are one table to the recipient, who joins them: their quasi-identifiers are scored together, however the definition splits them. A pseudonym is a linkage key, not a quasi-identifier, only when everything it reads is a unique identifier (the NHS number, the patient key, a record key such as consultation_id: a record determines its patient, so datasets carrying the same record pseudonym are linked too); if it reads a quasi-identifier (a postcode, `coalesce(postcode, nhs_number)`) it splits people as that does, and is scored as it; a pseudonym of a name, address line, phone number or email address groups people by it (a frequency attack) and is scored as a quasi-identifier. Any date or timestamp of a row of a patient shown at full precision is a quasi-identifier too, whatever the catalogue classifies it as (the start_date of a registration, the starts_at of an appointment, a recorded_at, an updated_at; read as it is, computed, shifted by a constant or minus a computed value): an exact date is one day in some twenty years of records (about 13 bits), with the time one minute of those (about 23 bits); cut to a month, a year, an age or an age band, or shown as the difference of two dates of the record (bare columns, not a system column), it is not. The score is the expected number of patients sharing one combination among those in scope (practices times an assumed list size, narrowed by the filters of the population and the dataset where that is cheap and sure: a quasi-identifier pinned by `=` or `in` keeps the share of its values, `age_years(...) >= 90` or more keeps the oldest tail; other ranges and clinical conditions are left to the measurement of the run); `exdef run` measures the real smallest group (k-anonymity), of each dataset and of each linked group, before anything leaves.',
    source: 'IM1 Data Protection Policy (Anonymisation & Minimisation: singling out, linkability); exdef design brief (Policy 10)',
    triggers:
      'In indirect care: a dataset, or a group of linked datasets, whose quasi-identifiers leave an expected group smaller than k_anonymity (10) patients is a warning, smaller than one patient an error; one pseudonym key used over different identifiers in different datasets is a warning. Otherwise, and in direct care, the score is reported as information.',
    defaultSeverity: 'error',
    hard: false,
    messages: {
      score: 'dataset `{dataset}`: {explanation} = {bits} bits; about {group} of {population} patients{narrowed} share each combination ({level} risk of singling out)',
      singlesOut: 'dataset `{dataset}` singles people out: {explanation} = {bits} bits, so about {group} of {population} patients{narrowed} share each combination',
      smallGroups: 'dataset `{dataset}` leaves small groups: {explanation} = {bits} bits; about {group} of {population} patients{narrowed} share each combination, below the threshold of {k}',
      identifying: 'dataset `{dataset}` identifies patients by design ({fields}): direct care only',
      linkedScore: 'datasets {datasets} are linked ({links}), one table to the recipient: {explanation} = {bits} bits; about {group} of {population} patients{narrowed} share each combination ({level} risk of singling out)',
      linkedSinglesOut: 'datasets {datasets} are linked ({links}) and, joined, single people out: {explanation} = {bits} bits, so about {group} of {population} patients{narrowed} share each combination',
      linkedSmallGroups: 'datasets {datasets} are linked ({links}) and, joined, leave small groups: {explanation} = {bits} bits; about {group} of {population} patients{narrowed} share each combination, below the threshold of {k}',
      sharedKey: "the pseudonym key '{key}' is used over {source} here and over {firstSource} in dataset `{firstDataset}`: one key for two identifiers lets whoever learns one mapping make the other",
    },
    optionSchema: { type: 'object', properties: { k_anonymity: { type: 'integer' }, assumed_list_size: { type: 'integer' } } },
    examples: {
      failing: {
        yaml: "datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: person_key\n        value: pseudonym(nhs_number, 'phm-icb-key')\n        justification: Links the records of a person without revealing who they are.\n      - name: birth_month\n        value: month(date_of_birth)\n        justification: Age in months drives the paediatric growth model.\n      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.\n  - name: addresses\n    from: patient\n    fields:\n      - name: person_key\n        value: pseudonym(nhs_number, 'phm-icb-key')\n        justification: Joins the address to the person for outreach.\n      - name: postcode\n        value: postcode\n        justification: Locates each household for outreach.",
        note: 'Each dataset alone passes (about 11 and 12 of 24,000 patients share each combination), but the same pseudonym joins them: month of birth + sex + full postcode, about 22 bits; everyone is unique.',
      },
      passing: {
        yaml: "datasets:\n  - name: people\n    from: patient\n    fields:\n      - name: person_key\n        value: pseudonym(nhs_number, 'phm-icb-key')\n        justification: Links the records of a person without revealing who they are.\n      - name: birth_year\n        value: year(date_of_birth)\n        justification: Age is the main driver of risk stratification.\n      - name: sex\n        value: sex\n        justification: Prevalence and risk models differ by sex.\n  - name: areas\n    from: patient\n    fields:\n      - name: person_key\n        value: pseudonym(nhs_number, 'phm-icb-key')\n        justification: Joins the area to the person for planning.\n      - name: district\n        value: postcode_district(postcode)\n        justification: Locates need by neighbourhood.",
      },
    },
  },
  check({ definition, catalogue, policy, report, spanAt }) {
    const k = policy.thresholds.kAnonymity;
    const listSize = policy.thresholds.assumedListSize;
    const indirect = definition.careType === 'indirect';
    const numbers = (s: DisclosureScore) => ({
      bits: s.bits.toFixed(1),
      group: groupText(s.expectedGroupSize),
      population: groupText(s.population),
      narrowed: s.narrowedBy.length > 0 ? ` in scope after the filters (${s.narrowedBy.join('; ')})` : '',
      level: s.level,
      k,
    });
    const scores = definition.datasets.map((dataset) => disclosureScore(dataset, definition, catalogue, listSize, k));
    definition.datasets.forEach((dataset, i) => {
      const s = scores[i]!;
      const span = spanAt(`/datasets/${i}/name`);
      const at = span ? { span } : {};
      if (s.directIdentifiers.length > 0 && definition.careType === 'direct') {
        report({ messageId: 'identifying', params: { dataset: dataset.name, fields: s.directIdentifiers.join(', ') }, ...at, severity: 'info' });
        return;
      }
      if (s.identifiers.length === 0) return;
      const params = { dataset: dataset.name, explanation: explainScore(s), ...numbers(s) };
      if (indirect && s.expectedGroupSize < 1) {
        report({ messageId: 'singlesOut', params, ...at, hints: [s.narrowedBy.length > 0 ? 'the filters leave a handful of patients: widen the population (more practices, no pin on a quasi-identifier, a younger age bound) or drop quasi-identifiers' : 'generalise: year(date_of_birth) or age_band(...) instead of the date, postcode_district(postcode) instead of the postcode'] });
      } else if (indirect && s.expectedGroupSize < k) {
        report({ messageId: 'smallGroups', params, ...at, severity: 'warning', hints: ['generalise the quasi-identifiers (coarser dates, districts, age bands) or drop one'] });
      } else {
        report({ messageId: 'score', params, ...at, severity: 'info' });
      }
    });

    // The mosaic: linked datasets scored as the one table they make, at the last of them (where the
    // combination is completed). Only when the join shows more than any of them alone.
    for (const group of linkedGroups(definition, catalogue)) {
      const members = measuredMembers(catalogue, group);
      if (members.length < 2) continue;
      const memberScores = members.map((d) => scores[definition.datasets.indexOf(d)]!);
      // A dataset that names patients is identifying by itself (direct-identifiers-need-basis); its join adds nothing to judge.
      if (memberScores.some((s) => s.directIdentifiers.length > 0)) continue;
      const s = combinedDisclosureScore(members, definition, catalogue, listSize, k);
      if (memberScores.some((m) => m.bits >= s.bits - 1e-9)) continue;
      const last = definition.datasets.indexOf(members[members.length - 1]!);
      const span = spanAt(`/datasets/${last}/name`);
      const at = span ? { span } : {};
      const params = { datasets: members.map((d) => `\`${d.name}\``).join(' + '), links: group.links.map((l) => l.description).join('; '), explanation: explainScore(s, true), ...numbers(s) };
      // Datasets of one table with the same filter line up row by row without any key.
      const rowOrder = group.links.some((l) => l.rowOrder)
        ? ['the datasets give the same rows of one table in the same order, so they join by row number without any key: write their fields as one dataset (scored as it is), or generalise its quasi-identifiers']
        : [];
      if (indirect && s.expectedGroupSize < 1) {
        report({ messageId: 'linkedSinglesOut', params, ...at, hints: ['generalise the quasi-identifiers of the linked datasets, or give each dataset a pseudonym key of its own (or none) where they need not be joined', ...rowOrder] });
      } else if (indirect && s.expectedGroupSize < k) {
        report({ messageId: 'linkedSmallGroups', params, ...at, severity: 'warning', hints: ['generalise the quasi-identifiers of the linked datasets, or stop linking them', ...rowOrder] });
      } else {
        report({ messageId: 'linkedScore', params, ...at, severity: 'info' });
      }
    }

    if (indirect) {
      for (const shared of sharedKeys(definition, catalogue)) {
        const span = spanAt(`/datasets/${shared.dataset}/fields/${shared.field}/value`);
        report({
          messageId: 'sharedKey',
          params: { key: shared.keyName, source: shared.source, firstSource: shared.first.source, firstDataset: shared.first.dataset },
          ...(span ? { span } : {}),
          severity: 'warning',
          hints: ['use a key of its own for each identifier pseudonymised'],
        });
      }
    }
  },
};
