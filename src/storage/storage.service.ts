import { Injectable, Logger } from '@nestjs/common';
import { DeleteObjectsCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { AppConfig } from '../config/app-config';

/** The S3-compatible bucket that holds product images (MinIO locally, S3 in production). */
@Injectable()
export class StorageService {
  private readonly logger = new Logger(StorageService.name);
  readonly client: S3Client;
  readonly bucket: string;
  private readonly publicUrl: string;

  constructor(config: AppConfig) {
    const accessKeyId = config.get('S3_ACCESS_KEY_ID');
    const secretAccessKey = config.get('S3_SECRET_ACCESS_KEY');
    this.client = new S3Client({
      region: config.get('S3_REGION'),
      endpoint: config.get('S3_ENDPOINT'),
      forcePathStyle: config.get('S3_FORCE_PATH_STYLE'),
      credentials: accessKeyId && secretAccessKey ? { accessKeyId, secretAccessKey } : undefined,
    });
    this.bucket = config.get('S3_BUCKET');
    this.publicUrl = config.get('S3_PUBLIC_URL').replace(/\/+$/, '');
  }

  publicUrlOf(key: string): string {
    return `${this.publicUrl}/${key.split('/').map(encodeURIComponent).join('/')}`;
  }

  /**
   * Deletes objects; failures are logged, not thrown: the database no longer points at them,
   * so a leftover object is garbage, never a broken image.
   */
  async deleteKeys(keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    try {
      const result = await this.client.send(
        new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true } }),
      );
      for (const error of result.Errors ?? []) this.logger.warn(`Could not delete ${error.Key}: ${error.Message}`);
    } catch (error) {
      this.logger.warn(`Could not delete ${keys.length} object(s): ${(error as Error).message}`);
    }
  }

  async listKeys(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }),
      );
      keys.push(...(page.Contents ?? []).map((object) => object.Key!).filter(Boolean));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return keys;
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.deleteKeys(await this.listKeys(prefix));
  }
}
