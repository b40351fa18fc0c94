/**
 * SNOMED CT identifiers (SCTIDs): 6 to 18 digits, no leading zero, a two-digit partition
 * identifier before a final Verhoeff check digit.
 */
const D = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
  [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
  [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
  [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
  [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
  [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
  [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
/** Verhoeff's permutations: P[i] is P[1] applied i times (derived, so no row can be mistyped). */
const P: number[][] = [[0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4]];
for (let i = 2; i < 8; i++) P.push(P[i - 1]!.map((_, j) => P[i - 1]![P[1]![j]!]!));
const INV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

/** True when the last digit is the Verhoeff check digit of the others. */
export function verhoeffValid(digits: string): boolean {
  let c = 0;
  const n = digits.length;
  for (let i = 0; i < n; i++) {
    const digit = digits.charCodeAt(n - 1 - i) - 48;
    c = D[c]![P[i % 8]![digit]!]!;
  }
  return c === 0;
}

/** The Verhoeff check digit for a string of digits. */
export function verhoeffDigit(digits: string): number {
  let c = 0;
  const n = digits.length;
  for (let i = 0; i < n; i++) {
    const digit = digits.charCodeAt(n - 1 - i) - 48;
    c = D[c]![P[(i + 1) % 8]![digit]!]!;
  }
  return INV[c]!;
}

export type SctidProblem = 'not-digits' | 'length' | 'leading-zero' | 'partition' | 'not-a-concept' | 'check-digit';

const PARTITIONS: Record<string, 'concept' | 'description' | 'relationship'> = {
  '00': 'concept',
  '01': 'description',
  '02': 'relationship',
  '10': 'concept',
  '11': 'description',
  '12': 'relationship',
};

/** Why `id` is not a well-formed SNOMED CT concept identifier, or undefined when it is. */
export function conceptIdProblem(id: string): SctidProblem | undefined {
  if (!/^\d+$/.test(id)) return 'not-digits';
  if (id.length < 6 || id.length > 18) return 'length';
  if (id.startsWith('0')) return 'leading-zero';
  const partition = PARTITIONS[id.slice(-3, -1)];
  if (partition === undefined) return 'partition';
  if (partition !== 'concept') return 'not-a-concept';
  if (!verhoeffValid(id)) return 'check-digit';
  return undefined;
}

export function describeSctidProblem(problem: SctidProblem): string {
  switch (problem) {
    case 'not-digits':
      return 'a SNOMED CT identifier is digits only';
    case 'length':
      return 'a SNOMED CT identifier has 6 to 18 digits';
    case 'leading-zero':
      return 'a SNOMED CT identifier does not start with 0';
    case 'partition':
      return 'its partition identifier (the two digits before the last) is not a valid one';
    case 'not-a-concept':
      return 'its partition identifier says it is a description or relationship, not a concept';
    case 'check-digit':
      return 'its check digit (Verhoeff) is wrong: a digit is mistyped or two are swapped';
  }
}
