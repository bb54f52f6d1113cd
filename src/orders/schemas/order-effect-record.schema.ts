import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One effect of an order event (stock released or shipped, money refunded, the provider's payment
 * cancelled), keyed `<orderId>:<effect>`: claimed before the effect and marked done after it,
 * through the shared claim helper, so every effect happens once however often its job runs.
 */
@Schema({ collection: 'order_effects', versionKey: false })
export class OrderEffectRecord {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true, enum: ['running', 'done'] })
  state!: 'running' | 'done';

  @Prop({ required: true })
  claimId!: string;

  @Prop({ required: true })
  claimedAt!: Date;

  @Prop({ default: 0 })
  takeovers!: number;

  @Prop()
  doneAt?: Date;
}
export const OrderEffectRecordSchema = SchemaFactory.createForClass(OrderEffectRecord);
