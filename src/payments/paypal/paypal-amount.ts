/**
 * PayPal writes amounts as decimal strings in the currency's precision ("19.99" USD, "1999" JPY);
 * the shop keeps integer minor units. The precision comes from the runtime's ISO 4217 data.
 */
export function minorUnitDigits(currency: string): number {
  return new Intl.NumberFormat('en', { style: 'currency', currency: currency.toUpperCase() }).resolvedOptions().maximumFractionDigits ?? 2;
}

/** 1999 USD → "19.99"; 1999 JPY → "1999". */
export function toPayPalValue(amount: number, currency: string): string {
  if (!Number.isSafeInteger(amount) || amount < 0) throw new RangeError(`Not an amount in minor units: ${amount}`);
  const digits = minorUnitDigits(currency);
  if (digits === 0) return String(amount);
  const text = String(amount).padStart(digits + 1, '0');
  return `${text.slice(0, -digits)}.${text.slice(-digits)}`;
}

/** "19.99" USD → 1999. NaN for anything that is not a plain amount in the currency's precision, so it matches no order. */
export function fromPayPalValue(value: unknown, currency: string): number {
  if (typeof value !== 'string') return Number.NaN;
  const digits = minorUnitDigits(currency);
  const match = /^(\d{1,15})(?:\.(\d+))?$/.exec(value);
  if (!match || (match[2]?.length ?? 0) > digits) return Number.NaN;
  return Number(match[1]) * 10 ** digits + Number((match[2] ?? '').padEnd(digits, '0') || '0');
}
