import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, SchemaTypes, Types } from 'mongoose';

export const DELIVERY_STATUSES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/** One try to send a delivery. */
@Schema({ _id: false })
export class DeliveryAttempt {
  @Prop({ required: true }) at!: Date;
  /** The receiver's answer, when there was one. */
  @Prop() statusCode?: number;
  /** Why there was no usable answer (timeout, refused address, connection error). */
  @Prop() error?: string;
  @Prop({ required: true }) durationMs!: number;
  /** The first 1 kB of the receiver's answer. */
  @Prop() responseBody?: string;
}
const DeliveryAttemptSchema = SchemaFactory.createForClass(DeliveryAttempt);

/**
 * One event for one endpoint: made once (unique on event and endpoint), sent with the same body
 * on every attempt, so the receiver sees one `id` however often it is retried.
 */
@Schema({ collection: 'webhook_deliveries', timestamps: true })
export class WebhookDelivery {
  _id!: Types.ObjectId;

  @Prop({ type: SchemaTypes.ObjectId, required: true })
  endpointId!: Types.ObjectId;

  /** The outbox event id: the body's `id` and `Shop-Webhook-Id`. */
  @Prop({ required: true })
  eventId!: string;

  @Prop({ required: true })
  type!: string;

  /** The exact body sent (JSON text): signed and sent unchanged on every attempt. */
  @Prop({ required: true })
  body!: string;

  @Prop({ type: String, required: true, enum: DELIVERY_STATUSES, default: 'pending' })
  status!: DeliveryStatus;

  @Prop({ type: [DeliveryAttemptSchema], default: [] })
  attempts!: DeliveryAttempt[];

  createdAt!: Date;
  updatedAt!: Date;
}

export type WebhookDeliveryDocument = HydratedDocument<WebhookDelivery>;
export const WebhookDeliverySchema = SchemaFactory.createForClass(WebhookDelivery);
WebhookDeliverySchema.index({ eventId: 1, endpointId: 1 }, { unique: true });
WebhookDeliverySchema.index({ endpointId: 1, createdAt: -1, _id: -1 });
// The hourly prune deletes by age (WebhookLogPruning).
WebhookDeliverySchema.index({ createdAt: 1 });
