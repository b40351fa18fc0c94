/** NHS numbers: 10 digits, the last a modulus-11 check digit over the first nine. */
export function nhsCheckDigit(nineDigits: string): number | undefined {
  let sum = 0;
  for (let i = 0; i < 9; i++) sum += (nineDigits.charCodeAt(i) - 48) * (10 - i);
  const check = 11 - (sum % 11);
  if (check === 11) return 0;
  if (check === 10) return undefined;
  return check;
}

export function isValidNhsNumber(text: string): boolean {
  if (!/^\d{10}$/.test(text)) return false;
  return nhsCheckDigit(text.slice(0, 9)) === text.charCodeAt(9) - 48;
}

/**
 * The synthetic NHS number of patient `index`: distinct for distinct indexes, always valid, and in
 * the 999 range that NHS England reserves for test data (980 beyond the first 500,000).
 */
export function syntheticNhsNumber(index: number): string {
  const base = index < 500_000 ? 999_000_000 + 2 * index : 980_000_000 + 2 * (index - 500_000);
  for (const body of [base, base + 1]) {
    const text = String(body);
    const check = nhsCheckDigit(text);
    // Two neighbouring bodies differ by 2 in the weighted sum, so one of them has a check digit.
    if (check !== undefined) return `${text}${check}`;
  }
  throw new Error(`internal: no NHS number for patient ${index}`);
}
