/**
 * "Did you mean ...?" suggestions for unknown names (magics, options, variables, choices),
 * in the spirit of Python's `difflib.get_close_matches`.
 */

/** Levenshtein edit distance between two strings (insert, delete, substitute all cost 1). */
export function editDistance(a: string, b: string): number {
  if (a === b) return 0;
  if (!a.length) return b.length;
  if (!b.length) return a.length;
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      cur.push(Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost));
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * The candidates most similar to `word`, best first.
 *
 * A candidate qualifies when its similarity `1 - distance / max(length)` (case-insensitive)
 * reaches `cutoff`, or when one string is a prefix of the other (typing `%spars` should suggest
 * `%sparsity` even though half the letters are missing).
 *
 * @param word what the user typed.
 * @param candidates the known names.
 * @param n at most this many suggestions (default 3).
 * @param cutoff minimum similarity in [0, 1] (default 0.6, like difflib).
 * @returns up to `n` candidates, most similar first; ties keep the candidates' order.
 */
export function closeMatches(word: string, candidates: Iterable<string>, n = 3, cutoff = 0.6): string[] {
  const w = word.toLowerCase();
  const scored: { name: string; score: number; index: number }[] = [];
  let index = 0;
  for (const name of candidates) {
    const c = name.toLowerCase();
    const longest = Math.max(w.length, c.length) || 1;
    let score = 1 - editDistance(w, c) / longest;
    if (w.length >= 2 && (c.startsWith(w) || w.startsWith(c))) score = Math.max(score, 0.75);
    if (score >= cutoff && c !== w) scored.push({ name, score, index });
    else if (c === w && name !== word) scored.push({ name, score: 1, index }); // differs only in case
    index++;
  }
  scored.sort((a, b) => b.score - a.score || a.index - b.index);
  return scored.slice(0, n).map((s) => s.name);
}

/** Formats suggestions as ` Did you mean: a, b?` (empty string when there are none). */
export function didYouMean(suggestions: string[], prefix = ''): string {
  if (!suggestions.length) return '';
  return ` Did you mean: ${suggestions.map((s) => prefix + s).join(', ')}?`;
}
