import { IsMongoId } from 'class-validator';

export class PaypalCaptureDto {
  /** The shop's order (not PayPal's), placed with `paymentProvider: "paypal"`. */
  @IsMongoId()
  orderId!: string;
}
