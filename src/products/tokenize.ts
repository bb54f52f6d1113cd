/**
 * Text normalisation shared by writes (products store their tokens) and reads (queries are
 * tokenised the same way). MongoDB collations and `$text` are not relied on: the local
 * stand-in lacks them, so matching is done on these pre-normalised words.
 */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/** Lower-cased, accent-folded words of letters and digits: "Café Crème-Brûlée" → cafe, creme, brulee. */
export function tokenize(text: string): string[] {
  return foldText(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** Distinct tokens of several fields, in first-seen order. */
export function searchTokensOf(...fields: (string | string[] | undefined)[]): string[] {
  const tokens = new Set<string>();
  for (const field of fields) {
    for (const text of Array.isArray(field) ? field : [field ?? '']) {
      for (const token of tokenize(text)) tokens.add(token);
    }
  }
  return [...tokens];
}

// Latin letters that Unicode does not decompose into a base letter plus a mark.
const TRANSLITERATIONS: Record<string, string> = { ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', đ: 'd', ł: 'l', þ: 'th', ð: 'd', ı: 'i' };

/**
 * ASCII slug: folded words of a-z and 0-9 joined by hyphens, at most `maxLength` characters.
 * Empty when the text has no Latin letters or digits (say, a Cyrillic name): callers decide.
 */
export function slugify(text: string, maxLength = 80): string {
  const latin = foldText(text).replace(/[ßæœøđłþðı]/g, (letter) => TRANSLITERATIONS[letter]);
  return (latin.match(/[a-z0-9]+/g) ?? []).join('-').slice(0, maxLength).replace(/-+$/, '');
}
