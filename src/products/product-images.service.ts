import { Injectable, Logger } from '@nestjs/common';
import { Types } from 'mongoose';
import { InvalidInputError, StateConflictError, isObjectIdString, NotFoundError } from '@app/common';
import { AuditLog, type AuditActor } from '../audit/audit-log.service';
import { StorageService } from '../storage/storage.service';
import { ProductStore, Revised } from './products.store';
import { ProductDocument, ProductImage } from './schemas/product.schema';

/** Per product, across uploads. */
export const MAX_IMAGES_PER_PRODUCT = 20;
export const MAX_FILES_PER_UPLOAD = 10;
export const MAX_IMAGE_BYTES = 5 * 1024 * 1024;

/** What the storage engine reports for each stored file. */
export interface StoredImage {
  key: string;
}

export function productImagePrefix(productId: string): string {
  return `products/${productId}/`;
}

@Injectable()
export class ProductImagesService {
  private readonly logger = new Logger(ProductImagesService.name);

  constructor(
    private readonly products: ProductStore,
    private readonly storage: StorageService,
    private readonly audit: AuditLog,
  ) {}

  /** Checked before any byte is stored: uploads go only to existing, non-archived products. */
  async assertUploadable(productId: string): Promise<void> {
    if (!isObjectIdString(productId)) throw new InvalidInputError(`"${productId}" is not a valid id`);
    const product = await this.products.findById(productId, { status: 1, images: 1 });
    if (!product) throw new NotFoundError('Product not found');
    if (product.status === 'archived') throw new StateConflictError('Archived products take no new images');
    if (product.images.length >= MAX_IMAGES_PER_PRODUCT) {
      throw new StateConflictError(`A product has at most ${MAX_IMAGES_PER_PRODUCT} images`);
    }
  }

  /**
   * Records stored objects on the product. If the product cannot take them (archived or full in
   * the meantime), the objects are deleted again: nothing is left in the bucket unreferenced.
   */
  /** `actor` is the admin (audit log); null only for seeding. */
  async attach(productId: string, stored: StoredImage[], actor: AuditActor | null): Promise<ProductDocument> {
    if (stored.length === 0) throw new InvalidInputError(`Send 1 to ${MAX_FILES_PER_UPLOAD} images in the field "images"`);
    const images = stored.map((file) => ({ _id: new Types.ObjectId(), key: file.key, url: this.storage.publicUrlOf(file.key) }));
    let attached: Revised | null;
    try {
      attached = await this.products.attachImages(productId, images, MAX_IMAGES_PER_PRODUCT);
      if (!attached) {
        await this.assertUploadable(productId);
        throw new StateConflictError(`A product has at most ${MAX_IMAGES_PER_PRODUCT} images`);
      }
    } catch (error) {
      // Whatever kept the images off the product (a rule above, or the database failing), the
      // objects must not stay in the bucket unreferenced.
      await this.storage.deleteKeys(stored.map((file) => file.key));
      throw error;
    }
    if (actor) await this.recordImages(actor, 'product.imagesAdded', productId, attached.before.images, attached.after.images);
    return attached.after;
  }

  /** Removes the image from the product first, then its object from storage. */
  async remove(productId: string, imageId: string, actor: AuditActor): Promise<void> {
    const before = await this.products.removeImage(productId, imageId);
    if (!before) {
      if (!(await this.products.exists({ _id: productId }))) throw new NotFoundError('Product not found');
      throw new NotFoundError('Image not found');
    }
    const image = before.images.find((candidate) => candidate._id.toString() === imageId);
    const after = before.images.filter((candidate) => candidate !== image);
    await this.recordImages(actor, 'product.imageRemoved', productId, before.images, after);
    if (image) await this.storage.deleteKeys([image.key]);
  }

  /**
   * Removes every image of an archived product, and anything else stored under its prefix.
   * Only archived products: they take no uploads, so nothing can be stored there meanwhile.
   */
  async purge(productId: string, actor: AuditActor): Promise<void> {
    const before = await this.products.removeImagesOfArchived(productId);
    if (!before) {
      if (!(await this.products.exists({ _id: productId }))) throw new NotFoundError('Product not found');
      throw new StateConflictError('Only archived products can be purged; delete single images instead');
    }
    await this.recordImages(actor, 'product.imagesPurged', productId, before.images, []);
    await this.storage.deleteKeys(before.images.map((image) => image.key));
    await this.storage.deletePrefix(productImagePrefix(productId));
    this.logger.log(`Purged ${before.images.length} image(s) of product ${productId}`);
  }

  /** An image change is logged as the product's image list before and after. */
  private recordImages(actor: AuditActor, action: string, productId: string, before: ProductImage[], after: ProductImage[]): Promise<void> {
    return this.audit.record(actor, { action, entity: 'product', entityId: productId, before: { images: before }, after: { images: after } });
  }
}
