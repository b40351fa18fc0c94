/**
 * An exemption written as YAML for tests: a valid exemption of the HIV/STI set in phm-warehouse's
 * blood_pressure dataset unless `parts` says otherwise. Values are written as given (so they may
 * hold ⟦ markers); `undefined` leaves a key out; `legal_basis` may be a map or a raw value.
 */
export interface ExemptionParts {
  rule?: string;
  code_set?: string;
  datasets?: string;
  fields?: string;
  legal_basis?: string | { article_6?: string; article_9?: string; notice?: string; approval?: string; [key: string]: string | undefined };
  justification?: string;
  expires?: string;
}

/** A legal basis the exemption rule accepts (an approval: s251 support). */
export const VALID_BASIS = { article_6: '6(1)(e) public task', article_9: '9(2)(i) public health', approval: 'CAG 21/CAG/0123 (s251 support)' };

export const VALID_EXEMPTION: Required<Omit<ExemptionParts, 'fields'>> = {
  rule: 'sensitive-codes',
  code_set: 'hiv_sti',
  datasets: '[blood_pressure]',
  legal_basis: VALID_BASIS,
  justification: 'The sexual health service needs HIV status to plan its clinics.',
  expires: '2027-03-31',
};

/** One item of `exemptions:` (indented for it), from VALID_EXEMPTION with `parts` over it. */
export function exemptionYaml(parts: ExemptionParts = {}, omit: (keyof ExemptionParts)[] = []): string {
  const merged: ExemptionParts = { ...VALID_EXEMPTION, ...parts };
  const lines: string[] = [];
  for (const key of ['rule', 'code_set', 'datasets', 'fields', 'legal_basis', 'justification', 'expires'] as const) {
    const value = merged[key];
    if (value === undefined || omit.includes(key) || (key in parts && parts[key] === undefined)) continue;
    if (typeof value === 'object') {
      lines.push('legal_basis:');
      for (const [k, v] of Object.entries(value)) if (v !== undefined) lines.push(`  ${k}: ${v}`);
    } else lines.push(`${key}: ${value}`);
  }
  return lines.map((line, i) => `${i === 0 ? '  - ' : '    '}${line}\n`).join('');
}

/** `text` (a YAML definition) with these exemption items added before its datasets. */
export function withExemptions(text: string, ...items: string[]): string {
  if (!text.includes('\ndatasets:\n')) throw new Error('withExemptions: no datasets: block');
  return text.replace('\ndatasets:\n', () => `\nexemptions:\n${items.join('')}datasets:\n`);
}
