import type { Request } from 'express';
import type { Readable } from 'node:stream';
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { MulterOptions } from '@nestjs/platform-express/multer/interfaces/multer-options.interface';
import multerS3 from 'multer-s3';
import { InvalidInputError } from '@app/common';
import { sniffImageFormat, SNIFF_BYTES } from '../storage/image-sniffer';
import { StorageService } from '../storage/storage.service';
import { MAX_FILES_PER_UPLOAD, MAX_IMAGE_BYTES, productImagePrefix, ProductImagesService } from './product-images.service';

type Callback<T> = (error: Error | null, value?: T, stream?: Readable) => void;

/**
 * Multer options for product image uploads: files stream straight to the bucket through
 * multer-s3. Before a file is stored, the product is checked and the file's first bytes must be
 * JPEG, PNG or WebP; any failure makes multer abort and delete what this request already stored.
 */
export function productImageMulterOptions(storage: StorageService, images: ProductImagesService): MulterOptions {
  return {
    storage: multerS3({
      s3: storage.client,
      bucket: storage.bucket,
      // No ACL: access is the bucket policy's business (S3 buckets often forbid ACLs).
      acl: (_req, _file, cb) => cb(null, undefined),
      cacheControl: 'public, max-age=31536000, immutable',
      key: (req: Request, file, cb: Callback<string>) => {
        const productId = String(req.params.id);
        uploadCheck(req, images, productId)
          .then(() => cb(null, `${productImagePrefix(productId)}${randomUUID()}`))
          .catch((error: Error) => cb(error));
      },
      contentType: (_req, file, cb: Callback<string>) => sniffContentType(file.stream, cb),
    }),
    limits: { fileSize: MAX_IMAGE_BYTES, files: MAX_FILES_PER_UPLOAD, fields: 0, parts: MAX_FILES_PER_UPLOAD },
  };
}

/** One product check per request, however many files it carries. */
function uploadCheck(req: Request, images: ProductImagesService, productId: string): Promise<void> {
  const holder = req as Request & { productUploadCheck?: Promise<void> };
  holder.productUploadCheck ??= images.assertUploadable(productId);
  return holder.productUploadCheck;
}

function sniffContentType(source: Readable, cb: Callback<string>): void {
  const chunks: Buffer[] = [];
  let length = 0;
  let settled = false;

  const settle = (ended: boolean) => {
    if (settled) return;
    settled = true;
    source.off('data', onData);
    source.off('end', onEnd);
    source.pause();
    const head = Buffer.concat(chunks);
    const format = sniffImageFormat(head.subarray(0, SNIFF_BYTES));
    if (!format) {
      source.resume();
      cb(new InvalidInputError('Only JPEG, PNG or WebP images are accepted (judged by the file content)'));
      return;
    }
    const replay = new PassThrough();
    if (ended) {
      replay.end(head);
    } else {
      // pipe() does not forward errors: a client that disconnects mid-file must fail the upload,
      // not leave it waiting forever.
      source.once('error', (error) => replay.destroy(error));
      source.once('close', () => {
        if (!source.readableEnded) replay.destroy(new Error('Upload stream closed before its end'));
      });
      replay.write(head);
      source.pipe(replay);
      source.resume();
    }
    cb(null, format.mime, replay);
  };
  const onData = (chunk: Buffer) => {
    chunks.push(chunk);
    length += chunk.length;
    if (length >= SNIFF_BYTES) settle(false);
  };
  const onEnd = () => settle(true);

  source.on('data', onData);
  source.once('end', onEnd);
}
