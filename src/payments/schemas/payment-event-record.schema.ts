import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One delivered webhook event, keyed `<provider>:<eventId>`. Inserting it is the claim: the
 * unique `_id` lets exactly one of several simultaneous deliveries apply the event.
 */
@Schema({ collection: 'payment_events', versionKey: false })
export class PaymentEventRecord {
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ type: String, required: true, enum: ['processing', 'done'] })
  state!: 'processing' | 'done';

  @Prop({ required: true })
  kind!: string;

  @Prop({ required: true })
  receivedAt!: Date;

  @Prop()
  outcome?: string;

  /** Who holds the claim (the shared claim helper): a takeover replaces it. */
  @Prop()
  claimId?: string;

  @Prop()
  claimedAt?: Date;

  @Prop({ default: 0 })
  takeovers!: number;
}
export const PaymentEventRecordSchema = SchemaFactory.createForClass(PaymentEventRecord);
