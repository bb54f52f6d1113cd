import { orderTotals } from './order-totals';

describe('orderTotals', () => {
  const shipping = { flatRate: 499, freeFrom: 5000 };

  it('adds line totals and the flat shipping fee below the threshold', () => {
    expect(orderTotals([{ price: 1999, quantity: 2 }, { price: 5, quantity: 3 }], shipping)).toEqual({
      subtotal: 4013,
      shippingTotal: 499,
      total: 4512,
    });
  });

  it('ships free from the threshold on, exactly at it included', () => {
    expect(orderTotals([{ price: 2500, quantity: 2 }], shipping)).toEqual({ subtotal: 5000, shippingTotal: 0, total: 5000 });
    expect(orderTotals([{ price: 4999, quantity: 1 }], shipping).shippingTotal).toBe(499);
  });

  it('never ships free when the threshold is 0', () => {
    expect(orderTotals([{ price: 1_000_000, quantity: 3 }], { flatRate: 250, freeFrom: 0 })).toEqual({
      subtotal: 3_000_000,
      shippingTotal: 250,
      total: 3_000_250,
    });
  });
});
