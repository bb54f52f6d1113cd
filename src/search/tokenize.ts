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

/** URL-safe slug: folded words joined by hyphens, at most `maxLength` characters. */
export function slugify(text: string, maxLength = 80): string {
  const slug = tokenize(text).join('-').slice(0, maxLength).replace(/-+$/, '');
  return slug || 'item';
}
