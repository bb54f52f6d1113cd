import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { HydratedDocument, Types } from 'mongoose';
import { WEBHOOK_EVENTS, type WebhookEventType } from '../webhook-events';

/** Where an admin wants events sent, and the secret that signs them. */
@Schema({ collection: 'webhook_endpoints', timestamps: true })
export class WebhookEndpoint {
  _id!: Types.ObjectId;

  @Prop({ required: true })
  url!: string;

  @Prop({ type: [String], enum: WEBHOOK_EVENTS, required: true })
  events!: WebhookEventType[];

  /** A paused endpoint gets no new deliveries. */
  @Prop({ required: true, default: true })
  active!: boolean;

  /**
   * `whsec_…`: the HMAC key of every delivery. Kept as is because signing needs it; answered
   * once, on creation or rotation, and never logged (the audit log drops it).
   */
  @Prop({ required: true })
  secret!: string;

  createdAt!: Date;
  updatedAt!: Date;
}

export type WebhookEndpointDocument = HydratedDocument<WebhookEndpoint>;
export const WebhookEndpointSchema = SchemaFactory.createForClass(WebhookEndpoint);
WebhookEndpointSchema.index({ active: 1, events: 1 });
