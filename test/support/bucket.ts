import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { TestApp } from './test-app';

/** Direct look into the real MinIO bucket, to check what an upload left behind. */
export class Bucket {
  private readonly client: S3Client;
  private readonly bucket: string;

  constructor(t: TestApp) {
    this.client = new S3Client({
      region: 'us-east-1',
      endpoint: t.env.S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: t.env.S3_ACCESS_KEY_ID, secretAccessKey: t.env.S3_SECRET_ACCESS_KEY },
    });
    this.bucket = t.env.S3_BUCKET;
  }

  async keys(prefix: string): Promise<string[]> {
    const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix }));
    return (page.Contents ?? []).map((object) => object.Key!);
  }

  close(): void {
    this.client.destroy();
  }
}
