import { ORDER_EVENTS, OrderCancelled, OrderPaid, OrderPlaced } from './events/order-events';
import { findTransition, nextStatuses, ORDER_STATUSES, ORDER_TRANSITIONS, OrderStatus } from './order-state';

describe('order state table', () => {
  it('has one row per (from, to) pair and only known statuses', () => {
    const pairs = ORDER_TRANSITIONS.map((step) => `${step.from}->${step.to}`);
    expect(new Set(pairs).size).toBe(pairs.length);
    for (const step of ORDER_TRANSITIONS) {
      expect(ORDER_STATUSES).toContain(step.from);
      expect(ORDER_STATUSES).toContain(step.to);
      expect(step.by.length).toBeGreaterThan(0);
    }
  });

  it('reaches every status from placing, and delivered and cancelled are final', () => {
    const reached = new Set<OrderStatus>(['placing']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const step of ORDER_TRANSITIONS) {
        if (reached.has(step.from) && !reached.has(step.to)) {
          reached.add(step.to);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...ORDER_STATUSES].sort());
    expect(nextStatuses('delivered')).toEqual([]);
    expect(nextStatuses('cancelled')).toEqual([]);
  });

  it('follows API.md: pending_payment → paid → processing → shipped → delivered', () => {
    expect(findTransition('placing', 'pending_payment', 'checkout')?.event).toBe(OrderPlaced);
    expect(findTransition('pending_payment', 'paid', 'payment')?.event).toBe(OrderPaid);
    expect(findTransition('paid', 'processing', 'admin')).toBeDefined();
    expect(findTransition('processing', 'shipped', 'admin')).toBeDefined();
    expect(findTransition('shipped', 'delivered', 'admin')).toBeDefined();
  });

  it('cancels only from pending_payment, paid or processing; customers only before processing', () => {
    const cancellable = ORDER_TRANSITIONS.filter((step) => step.to === 'cancelled').map((step) => step.from);
    expect(cancellable.sort()).toEqual(['paid', 'pending_payment', 'processing']);
    for (const step of ORDER_TRANSITIONS.filter((row) => row.to === 'cancelled')) expect(step.event).toBe(OrderCancelled);
    expect(findTransition('pending_payment', 'cancelled', 'customer')).toBeDefined();
    expect(findTransition('paid', 'cancelled', 'customer')).toBeDefined();
    expect(findTransition('processing', 'cancelled', 'customer')).toBeUndefined();
    expect(findTransition('shipped', 'cancelled', 'admin')).toBeUndefined();
    expect(findTransition('pending_payment', 'cancelled', 'expiry')).toBeDefined();
    expect(findTransition('paid', 'cancelled', 'expiry')).toBeUndefined();
  });

  it('lets only a payment mark an order paid, and no one skip a step', () => {
    expect(findTransition('pending_payment', 'paid', 'admin')).toBeUndefined();
    expect(findTransition('pending_payment', 'shipped', 'admin')).toBeUndefined();
    expect(findTransition('paid', 'delivered', 'admin')).toBeUndefined();
    expect(findTransition('delivered', 'shipped', 'admin')).toBeUndefined();
  });

  it('declares each event once, its type being its class name (CONTRACTS.md)', () => {
    for (const event of ORDER_EVENTS) expect(event.type).toBe(event.name);
    expect(new Set(ORDER_EVENTS.map((event) => event.type)).size).toBe(ORDER_EVENTS.length);
  });
});
