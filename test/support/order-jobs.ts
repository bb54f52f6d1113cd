import { getQueueToken } from '@nestjs/bull';
import type { Job, Queue } from 'bull';
import type { OrderEventJob } from '../../src/orders/events/order-events';
import type { TestApp } from './test-app';

/** The `order-event` jobs the relay put on the real `orders` queue (Redis) for one order. */
export async function orderEventJobs(t: TestApp, orderId: string): Promise<Job<OrderEventJob>[]> {
  const queue = t.app.get<Queue>(getQueueToken('orders'));
  const jobs = await queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'paused']);
  return (jobs.filter((job) => job && job.name === 'order-event' && job.data.orderId === orderId) as Job<OrderEventJob>[]).sort(
    (a, b) => Number(a.timestamp) - Number(b.timestamp),
  );
}
