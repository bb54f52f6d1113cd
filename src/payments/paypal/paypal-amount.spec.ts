import { fromPayPalValue, toPayPalValue } from './paypal-amount';

describe('PayPal amounts', () => {
  it('writes minor units in the currency precision', () => {
    expect(toPayPalValue(1999, 'usd')).toBe('19.99');
    expect(toPayPalValue(5, 'eur')).toBe('0.05');
    expect(toPayPalValue(0, 'usd')).toBe('0.00');
    expect(toPayPalValue(1999, 'jpy')).toBe('1999');
    expect(toPayPalValue(1999, 'bhd')).toBe('1.999');
    expect(() => toPayPalValue(19.5, 'usd')).toThrow(RangeError);
  });

  it('reads them back, and nothing that is not an exact amount', () => {
    expect(fromPayPalValue('19.99', 'USD')).toBe(1999);
    expect(fromPayPalValue('19.9', 'usd')).toBe(1990);
    expect(fromPayPalValue('20', 'usd')).toBe(2000);
    expect(fromPayPalValue('1999', 'jpy')).toBe(1999);
    for (const bad of ['19.999', '-1.00', '1e3', '', ' 1.00', 19.99, undefined]) expect(fromPayPalValue(bad, 'usd')).toBeNaN();
    expect(fromPayPalValue('19.5', 'jpy')).toBeNaN();
  });
});
