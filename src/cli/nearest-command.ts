import { editDistance } from '../diagnostics/suggest.js';

/**
 * " did you mean `lint`?" for a word that is not a command, or "". Among equally near commands the
 * one with the same first letter wins (`lnit` is `lint` with two letters swapped, not `init`).
 */
export function nearestCommand(word: string, commandIds: readonly string[]): string {
  const names = commandIds.map((id) => id.replace(/:/g, ' '));
  const scored = names
    .map((name) => ({ name, distance: editDistance(word.toLowerCase(), name) - (name[0] === word[0]?.toLowerCase() ? 0.5 : 0) }))
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name));
  const best = scored[0];
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  return best !== undefined && best.distance <= limit ? `; did you mean \`${best.name}\`?` : '';
}
