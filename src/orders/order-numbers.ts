import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { isDuplicateKeyError, TurnBatch } from '@app/common';
import { Counter } from './schemas/counter.schema';

const COUNTER_ID = 'order-number';

/** `ORD-000042`: short enough to read over the phone, unique, and not the database id. */
export function formatOrderNumber(seq: number): string {
  return `ORD-${String(seq).padStart(6, '0')}`;
}

interface WaitingNumber {
  resolve: (number: string) => void;
  reject: (error: unknown) => void;
}

/**
 * Order numbers from one counter document. The increment is atomic; the values are taken from
 * the document *before* the increment, because the test stand-in can hand two racing callers
 * the same `returnDocument: 'after'` value (ARCHITECTURE.md) while `before` is exact on both it
 * and MongoDB.
 *
 * The numbers asked for in one turn of the event loop are taken by one increment of their count
 * (TurnBatch) and handed out in the order asked. Each is still taken after it was asked for: a
 * number asked for after another was handed out (in any process) is larger, as before; numbers
 * asked for at the same time in two processes may come either way, as before. None is skipped
 * unless its checkout fails.
 */
@Injectable()
export class OrderNumbers implements OnModuleInit {
  private readonly asked = new TurnBatch<WaitingNumber>((waiting) => this.take(waiting));

  constructor(@InjectModel(Counter.name) private readonly counters: Model<Counter>) {}

  /** Creates the counter up front, so `next()` never races an upsert. */
  async onModuleInit(): Promise<void> {
    try {
      await this.counters.create({ _id: COUNTER_ID, seq: 0 });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  next(): Promise<string> {
    return new Promise((resolve, reject) => this.asked.add({ resolve, reject }));
  }

  private async take(waiting: WaitingNumber[]): Promise<void> {
    let before: Counter | null;
    try {
      // Through the driver (every checkout takes a number): a constant filter, nothing to cast.
      const counters = this.counters.collection as unknown as mongo.Collection<Counter>;
      before = await counters.findOneAndUpdate({ _id: COUNTER_ID }, { $inc: { seq: waiting.length } }, { returnDocument: 'before' });
      if (!before) throw new Error('The order-number counter is missing');
    } catch (error) {
      for (const { reject } of waiting) reject(error);
      return;
    }
    const first = before.seq + 1;
    waiting.forEach(({ resolve }, index) => resolve(formatOrderNumber(first + index)));
  }
}
