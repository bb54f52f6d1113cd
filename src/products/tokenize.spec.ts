import { foldText, searchTokensOf, slugify, tokenize } from './tokenize';

describe('tokenize', () => {
  it('lower-cases, folds accents and splits on anything that is not a letter or digit', () => {
    expect(tokenize('Café Crème-Brûlée, 2 × 250ml')).toEqual(['cafe', 'creme', 'brulee', '2', '250ml']);
  });

  it('keeps non-Latin letters', () => {
    expect(tokenize('Kaffeemühle «Ωmega» 東京')).toEqual(['kaffeemuhle', 'ωmega', '東京']);
  });

  it('gives nothing for punctuation only', () => {
    expect(tokenize(' -- !! ')).toEqual([]);
  });

  it('folds compatibility forms (ligatures, full-width)', () => {
    expect(foldText('ﬁne ＡＢＣ')).toBe('fine abc');
  });
});

describe('searchTokensOf', () => {
  it('collects distinct tokens of several fields, arrays included', () => {
    expect(searchTokensOf('Wireless Headphones', 'Sony', 'audio', ['Noise Cancelling', 'wireless'])).toEqual([
      'wireless',
      'headphones',
      'sony',
      'audio',
      'noise',
      'cancelling',
    ]);
  });
});

describe('slugify', () => {
  it('joins folded words with hyphens', () => {
    expect(slugify('  Crème Brûlée — Deluxe Edition! ')).toBe('creme-brulee-deluxe-edition');
  });

  it('caps the length without a trailing hyphen', () => {
    expect(slugify('aaaa bbbb', 6)).toBe('aaaa-b');
    expect(slugify('aaaa bbbb', 5)).toBe('aaaa');
  });

  it('is ASCII only: transliterates what it can, drops other scripts', () => {
    expect(slugify('Straßenschuhe Ærø')).toBe('strassenschuhe-aero');
    expect(slugify('Обувь 2024')).toBe('2024');
    expect(slugify('Обувь')).toBe('');
    expect(slugify('!!!')).toBe('');
  });
});
