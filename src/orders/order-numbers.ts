import { Injectable, OnModuleInit } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { isDuplicateKeyError } from '@app/common';
import { Counter } from './schemas/counter.schema';

const COUNTER_ID = 'order-number';

/** `ORD-000042`: short enough to read over the phone, unique, and not the database id. */
export function formatOrderNumber(seq: number): string {
  return `ORD-${String(seq).padStart(6, '0')}`;
}

/**
 * Order numbers from one counter document. The increment is atomic; the value is taken from the
 * document *before* the increment plus one, because the test stand-in can hand two racing
 * callers the same `returnDocument: 'after'` value (ARCHITECTURE.md) while `before` is exact on
 * both it and MongoDB.
 */
@Injectable()
export class OrderNumbers implements OnModuleInit {
  constructor(@InjectModel(Counter.name) private readonly counters: Model<Counter>) {}

  /** Creates the counter up front, so `next()` never races an upsert. */
  async onModuleInit(): Promise<void> {
    try {
      await this.counters.create({ _id: COUNTER_ID, seq: 0 });
    } catch (error) {
      if (!isDuplicateKeyError(error)) throw error;
    }
  }

  async next(): Promise<string> {
    // Through the driver (every checkout takes a number): a constant filter and update, nothing to cast.
    const counters = this.counters.collection as unknown as mongo.Collection<Counter>;
    const before = await counters.findOneAndUpdate({ _id: COUNTER_ID }, { $inc: { seq: 1 } }, { returnDocument: 'before' });
    if (!before) throw new Error('The order-number counter is missing');
    return formatOrderNumber(before.seq + 1);
  }
}
