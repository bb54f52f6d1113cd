import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** `skipped`: a limit held the email back (never sent; kept so that skips can be counted). */
export const EMAIL_STATUSES = ['sending', 'sent', 'skipped'] as const;
export type EmailStatus = (typeof EMAIL_STATUSES)[number];

/**
 * The once-only ledger of outgoing email: one record per dedupe key (unique index), claimed as
 * `sending` before the SMTP call and marked `sent` after it. Written only by MailLedger.
 */
@Schema({ collection: 'email_ledger', timestamps: false, versionKey: false })
export class EmailRecord {
  @Prop({ required: true, unique: true })
  key!: string;

  @Prop({ type: String, required: true, enum: EMAIL_STATUSES })
  status!: EmailStatus;

  /** Who holds the claim: a takeover replaces it, so a late worker cannot mark someone else's send. */
  @Prop({ required: true })
  claimId!: string;

  @Prop({ required: true })
  claimedAt!: Date;

  @Prop()
  sentAt?: Date;

  /** Why a `skipped` email was not sent (e.g. `unverified-address-limit`). */
  @Prop()
  skipReason?: string;

  /** How often a stale claim (a worker that died mid-send) was taken over. */
  @Prop({ default: 0 })
  takeovers!: number;
}

export const EmailRecordSchema = SchemaFactory.createForClass(EmailRecord);
