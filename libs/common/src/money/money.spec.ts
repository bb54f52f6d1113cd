import {
  divideRounded,
  formatMoney,
  isMinorUnits,
  minorUnitDigits,
  parseDecimalAmount,
  roundHalfAwayFromZero,
  splitByWeights,
  toDecimalAmount,
} from './money';

/** mulberry32: a small seeded generator, so a failing random case is the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('money', () => {
  describe('minor units and decimal strings', () => {
    it('knows each currency precision', () => {
      expect(minorUnitDigits('usd')).toBe(2);
      expect(minorUnitDigits('JPY')).toBe(0);
      expect(minorUnitDigits('bhd')).toBe(3);
    });

    it('writes minor units in the currency precision', () => {
      expect(toDecimalAmount(1999, 'usd')).toBe('19.99');
      expect(toDecimalAmount(5, 'eur')).toBe('0.05');
      expect(toDecimalAmount(0, 'usd')).toBe('0.00');
      expect(toDecimalAmount(1999, 'jpy')).toBe('1999');
      expect(toDecimalAmount(1999, 'bhd')).toBe('1.999');
      expect(() => toDecimalAmount(19.5, 'usd')).toThrow(RangeError);
      expect(() => toDecimalAmount(-1, 'usd')).toThrow(RangeError);
    });

    it('reads them back, and nothing that is not an exact amount', () => {
      expect(parseDecimalAmount('19.99', 'USD')).toBe(1999);
      expect(parseDecimalAmount('19.9', 'usd')).toBe(1990);
      expect(parseDecimalAmount('20', 'usd')).toBe(2000);
      expect(parseDecimalAmount('1999', 'jpy')).toBe(1999);
      for (const bad of ['19.999', '-1.00', '1e3', '', ' 1.00', 19.99, undefined]) expect(parseDecimalAmount(bad, 'usd')).toBeNaN();
      expect(parseDecimalAmount('19.5', 'jpy')).toBeNaN();
    });

    it('round-trips every amount through its decimal string', () => {
      const random = seeded(7);
      for (let i = 0; i < 2000; i++) {
        const amount = Math.floor(random() * 10 ** (1 + Math.floor(random() * 12)));
        for (const currency of ['usd', 'jpy', 'bhd']) expect(parseDecimalAmount(toDecimalAmount(amount, currency), currency)).toBe(amount);
      }
    });

    it('tells amounts in minor units from anything else', () => {
      expect(isMinorUnits(1999)).toBe(true);
      expect(isMinorUnits(-5)).toBe(true);
      for (const bad of [19.99, Number.NaN, Number.MAX_SAFE_INTEGER + 1, '1999', null]) expect(isMinorUnits(bad)).toBe(false);
    });
  });

  describe('formatMoney', () => {
    it('formats for people in the order currency', () => {
      expect(formatMoney(2750, 'usd')).toBe('$27.50');
      expect(formatMoney(123456, 'eur')).toBe('€1,234.56');
      expect(formatMoney(1999, 'jpy')).toBe('¥1,999');
      expect(formatMoney(-499, 'usd')).toBe('-$4.99');
      expect(() => formatMoney(1.5, 'usd')).toThrow(RangeError);
    });
  });

  describe('rounding half away from zero', () => {
    it('rounds halves away from zero on both sides', () => {
      expect([2.5, 3.5, -2.5, -3.5, 2.4999, -2.4999, 0.5, -0.5, 399.8].map(roundHalfAwayFromZero)).toEqual([3, 4, -3, -4, 2, -2, 1, -1, 400]);
      expect(Object.is(roundHalfAwayFromZero(-0.2), 0)).toBe(true);
      expect(() => roundHalfAwayFromZero(Number.NaN)).toThrow(RangeError);
    });

    it('divides integers exactly, the worked tax cases included', () => {
      expect(divideRounded(1005 * 125, 1000)).toBe(126); // 12.5 % of 10.05 = 1.25625
      expect(divideRounded(1999 * 3 * 20, 100)).toBe(1199); // 20 % of 3 × 19.99 = 11.994
      expect(divideRounded(1999 * 20, 100)).toBe(400); // 399.8
      expect(divideRounded(5, 2)).toBe(3);
      expect(divideRounded(-5, 2)).toBe(-3);
      expect(divideRounded(5, -2)).toBe(-3);
      expect(divideRounded(7, 2)).toBe(4);
      expect(divideRounded(-7, -2)).toBe(4);
      expect(divideRounded(4, 3)).toBe(1);
      expect(divideRounded(0, 7)).toBe(0);
      expect(divideRounded(9_007_199_254_740_991n * 3n, 3n)).toBe(Number.MAX_SAFE_INTEGER);
      expect(() => divideRounded(1, 0)).toThrow(RangeError);
    });

    it('agrees with a rounding of the exact quotient for random integers', () => {
      const random = seeded(42);
      for (let i = 0; i < 5000; i++) {
        const numerator = Math.floor((random() - 0.5) * 2_000_000);
        const denominator = (1 + Math.floor(random() * 999)) * (random() < 0.5 ? -1 : 1);
        const result = divideRounded(numerator, denominator);
        // The result is within half a unit of the exact quotient, and an exact half goes away from zero.
        const twiceError = 2 * (result * denominator - numerator); // = 2·denominator·(result − exact)
        expect(Math.abs(twiceError)).toBeLessThanOrEqual(Math.abs(denominator));
        if (Math.abs(twiceError) === Math.abs(denominator)) expect(Math.abs(result * denominator)).toBeGreaterThan(Math.abs(numerator));
        expect(divideRounded(-numerator, denominator)).toBe(-result || 0);
      }
    });
  });

  describe('splitByWeights', () => {
    it('splits the worked examples', () => {
      expect(splitByWeights(1000, [333, 333, 334])).toEqual([333, 333, 334]);
      expect(splitByWeights(100, [1, 1, 1])).toEqual([34, 33, 33]);
      expect(splitByWeights(1000, [1999, 1999, 1999])).toEqual([334, 333, 333]);
      expect(splitByWeights(10, [1, 2, 3, 4])).toEqual([1, 2, 3, 4]);
      expect(splitByWeights(5, [0, 3, 0, 1])).toEqual([0, 4, 0, 1]); // quotas 3.75 and 1.25
      expect(splitByWeights(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
      expect(splitByWeights(0, [0, 0])).toEqual([0, 0]);
      expect(splitByWeights(7, [5])).toEqual([7]);
    });

    it('refuses what cannot be split', () => {
      expect(() => splitByWeights(1, [])).toThrow(RangeError);
      expect(() => splitByWeights(1, [0, 0])).toThrow(RangeError);
      expect(() => splitByWeights(1, [-1, 2])).toThrow(RangeError);
      expect(() => splitByWeights(1, [1.5])).toThrow(RangeError);
      expect(() => splitByWeights(1.5, [1])).toThrow(RangeError);
    });

    it('adds up exactly, stays within one unit of each quota, and is deterministic, for random inputs', () => {
      const random = seeded(2026);
      for (let i = 0; i < 3000; i++) {
        const count = 1 + Math.floor(random() * 8);
        const weights = Array.from({ length: count }, () => (random() < 0.15 ? 0 : Math.floor(random() * 100_000)));
        if (!weights.some((weight) => weight > 0)) weights[0] = 1;
        const amount = Math.floor((random() - 0.3) * 1_000_000);
        const shares = splitByWeights(amount, weights);
        const total = weights.reduce((sum, weight) => sum + weight, 0);

        expect(shares.reduce((sum, share) => sum + share, 0)).toBe(amount);
        shares.forEach((share, index) => {
          const quota = (amount * weights[index]) / total;
          expect(Math.abs(share - quota)).toBeLessThan(1 + 1e-9);
          if (weights[index] === 0) expect(share).toBe(0);
          expect(Math.sign(share) * Math.sign(amount)).not.toBe(-1);
        });
        expect(splitByWeights(amount, [...weights])).toEqual(shares);
        // Equal weights get shares that differ by at most one unit, the earlier one not smaller.
        const equal = splitByWeights(Math.abs(amount), weights.map(() => 1));
        for (let k = 1; k < equal.length; k++) expect(equal[k - 1] - equal[k]).toBeGreaterThanOrEqual(0);
        expect(Math.max(...equal) - Math.min(...equal)).toBeLessThanOrEqual(1);
      }
    });

    it('never gives a share above its line when the amount does not exceed the lines', () => {
      const random = seeded(99);
      for (let i = 0; i < 2000; i++) {
        const lines = Array.from({ length: 1 + Math.floor(random() * 6) }, () => 1 + Math.floor(random() * 50_000));
        const sum = lines.reduce((a, b) => a + b, 0);
        const discount = Math.floor(random() * (sum + 1));
        splitByWeights(discount, lines).forEach((share, index) => expect(share).toBeLessThanOrEqual(lines[index]));
      }
    });
  });
});
