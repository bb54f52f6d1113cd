import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * How many times a login session's refresh token was rotated, kept outside Redis: Redis holds the
 * session and its current token, and a Redis that lost its last writes holds a token rotated away
 * as current again. A rotation that would count lower than the one recorded here is the use of
 * such a token.
 */
@Schema({ collection: 'session_rotations', versionKey: false })
export class SessionRotation {
  /** The session's id (a UUID, as in the refresh token). */
  @Prop({ type: String, required: true })
  _id!: string;

  @Prop({ required: true, min: 1 })
  rotations!: number;

  /** The session's own expiry; MongoDB's TTL monitor deletes the record after it. */
  @Prop({ required: true, expires: 0 })
  expiresAt!: Date;
}

export const SessionRotationSchema = SchemaFactory.createForClass(SessionRotation);
