/**
 * Money is kept as integers in the currency's minor units (1999 = 19.99 USD = 1999 JPY), so sums
 * are exact; the helpers below are the only places where a fraction of a unit is decided.
 */

/** True for an amount in minor units: a safe integer (negative for a refund or a discount). */
export function isMinorUnits(amount: unknown): amount is number {
  return typeof amount === 'number' && Number.isSafeInteger(amount);
}

function assertMinorUnits(amount: number, what = 'amount'): void {
  if (!isMinorUnits(amount)) throw new RangeError(`Not an ${what} in minor units: ${amount}`);
}

/** Digits after the decimal point in the currency (USD 2, JPY 0, BHD 3), from the runtime's ISO 4217 data. */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 1999 USD → "19.99"; 1999 JPY → "1999"; 5 EUR → "0.05". Not negative: providers take amounts, not signs. */
export function toDecimalAmount(amount: number, currency: string): string {
  assertMinorUnits(amount);
  if (amount < 0) throw new RangeError(`Not an amount in minor units: ${amount}`);
  const digits = minorUnitDigits(currency);
  if (digits === 0) return String(amount);
  const text = String(amount).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/**
 * "19.99" USD → 1999. NaN for anything that is not a plain non-negative amount in the currency's
 * precision ("19.999", "-1", "1e3", a number), so a malformed amount matches nothing.
 */
export function parseDecimalAmount(value: unknown, currency: string): number {
  if (typeof value !== 'string') return Number.NaN;
  const digits = minorUnitDigits(currency);
  const match = /^(\d{1,15})(?:\.(\d+))?$/.exec(value);
  if (!match || (match[2]?.length ?? 0) > digits) return Number.NaN;
  return Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || '0');
}

/** 1999 EUR → "€19.99", 1999 JPY → "¥1,999": for people (emails), never parsed back. */
export function formatMoney(amount: number, currency: string): string {
  assertMinorUnits(amount);
  const code = currency.toUpperCase();
  return new Intl.NumberFormat('en', { style: 'currency', currency: code }).format(amount / 10 ** minorUnitDigits(code));
}

/** 2.5 → 3, -2.5 → -3, 2.4999 → 2: halves go away from zero, the same way for charges and credits. */
export function roundHalfAwayFromZero(value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`Cannot round ${value}`);
  const rounded = Math.sign(value) * Math.floor(Math.abs(value) + 0.5);
  return rounded === 0 ? 0 : rounded; // no -0
}

/**
 * numerator / denominator rounded half away from zero, exactly: both are integers, so a tax of
 * 12.5 % on 1005 is `divideRounded(1005 * 125, 1000)` = 126 with no floating-point 125.62499….
 * BigInt keeps products beyond 2^53 exact.
 */
export function divideRounded(numerator: number | bigint, denominator: number | bigint): number {
  const n = BigInt(numerator);
  const d = BigInt(denominator);
  if (d === 0n) throw new RangeError('Division by zero');
  const sign = n < 0n !== d < 0n ? -1n : 1n;
  const absN = n < 0n ? -n : n;
  const absD = d < 0n ? -d : d;
  const quotient = (absN * 2n + absD) / (absD * 2n);
  return toSafeNumber(sign * quotient);
}

/**
 * Shares `amount` over `weights` in proportion, by largest remainder: every share is the floor of
 * its exact quota, then the units left over go one each to the largest remainders; equal
 * remainders go to the earlier weight. The shares always add up to `amount` exactly, and the same
 * input gives the same split. A negative amount is split as its opposite, then negated, so a
 * credit mirrors a charge. 1000 over [333, 333, 334] → [333, 333, 334]; 100 over [1, 1, 1] → [34, 33, 33].
 */
export function splitByWeights(amount: number, weights: readonly number[]): number[] {
  assertMinorUnits(amount);
  if (weights.length === 0) throw new RangeError('No weights to split over');
  for (const weight of weights) {
    if (!Number.isSafeInteger(weight) || weight < 0) throw new RangeError(`Not a weight (a non-negative integer): ${weight}`);
  }
  const total = weights.reduce((sum, weight) => sum + BigInt(weight), 0n);
  if (total === 0n) {
    if (amount === 0) return weights.map(() => 0);
    throw new RangeError('Cannot split a non-zero amount over weights that are all zero');
  }
  if (amount < 0) return splitByWeights(-amount, weights).map((share) => (share === 0 ? 0 : -share));

  const whole = BigInt(amount);
  const quotas = weights.map((weight, index) => {
    const exact = whole * BigInt(weight);
    return { index, share: exact / total, remainder: exact % total };
  });
  let left = whole - quotas.reduce((sum, quota) => sum + quota.share, 0n);
  const byRemainder = [...quotas].sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const quota of byRemainder) {
    if (left === 0n) break;
    quota.share += 1n;
    left -= 1n;
  }
  return quotas.map((quota) => toSafeNumber(quota.share));
}

function toSafeNumber(value: bigint): number {
  const result = Number(value);
  if (!Number.isSafeInteger(result)) throw new RangeError(`Amount out of range: ${value}`);
  return result;
}
