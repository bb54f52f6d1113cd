import { MailTemplates } from '../notifications/mail-templates';

describe('order emails', () => {
  const templates = new MailTemplates();
  const base = { number: 'A-100', customerName: 'Ada', total: '$27.50' };

  it('renders the confirmation with lines, quantities, unit prices and totals', () => {
    const message = templates.render(
      'order-placed',
      { ...base, lines: [{ title: 'Mug', quantity: 2, unitPrice: '$12.50', lineTotal: '$25.00' }], subtotal: '$25.00', shipping: '$2.50' },
      'ada@example.com',
    );
    expect(message.subject).toBe('Order A-100 received');
    expect(message.text).toContain('2 x Mug at $12.50 = $25.00\n');
    expect(message.text).toContain('Subtotal: $25.00\nShipping: $2.50\nTotal: $27.50');
    expect(message.html).toContain('<td>Mug</td><td align="right">2</td><td align="right">$12.50</td><td align="right">$25.00</td>');
  });

  it('words the cancellation by what happened to the money', () => {
    const done = templates.render('order-cancelled', { ...base, refund: { amount: '$27.50', completed: true } }, 'a@example.com');
    expect(done.text).toContain('We have refunded $27.50 to your original payment method.');
    const pending = templates.render('order-cancelled', { ...base, refund: { amount: '$27.50', completed: false } }, 'a@example.com');
    expect(pending.text).toContain('You will be refunded $27.50 to your original payment method.');
    const unpaid = templates.render('order-cancelled', { ...base, refund: null }, 'a@example.com');
    expect(unpaid.text).toContain('No payment was taken for this order.');
    expect(unpaid.subject).toBe('Order A-100 has been cancelled');
  });

  it('names the tracking number only when there is one', () => {
    expect(templates.render('order-shipped', { ...base, trackingNumber: 'TRACK-1' }, 'a@example.com').text).toContain('Tracking number: TRACK-1');
    expect(templates.render('order-shipped', { ...base, trackingNumber: null }, 'a@example.com').text).not.toContain('Tracking number');
  });
});
