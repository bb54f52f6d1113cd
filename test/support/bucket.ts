import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';

/** Direct look into a real MinIO bucket (by default the image bucket), to check what the app left behind. */
export class Bucket {
  private readonly client: S3Client;
  readonly name: string;

  constructor(source: { env: Record<string, string> }, bucket = source.env.S3_BUCKET) {
    this.client = new S3Client({
      region: 'us-east-1',
      endpoint: source.env.S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: source.env.S3_ACCESS_KEY_ID, secretAccessKey: source.env.S3_SECRET_ACCESS_KEY },
    });
    this.name = bucket;
  }

  async keys(prefix: string): Promise<string[]> {
    const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.name, Prefix: prefix }));
    return (page.Contents ?? []).map((object) => object.Key!);
  }

  async text(key: string): Promise<string> {
    const response = await this.client.send(new GetObjectCommand({ Bucket: this.name, Key: key }));
    return response.Body!.transformToString();
  }

  /** Overwrites an object, as a damaged or tampered store would. */
  async put(key: string, body: Buffer | string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.name, Key: key, Body: body }));
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.name, Key: key }));
  }

  /** Removes every version under the prefix too (delete markers included): nothing left behind. */
  async purgePrefix(prefix: string): Promise<void> {
    for (;;) {
      const page = await this.client.send(new ListObjectVersionsCommand({ Bucket: this.name, Prefix: prefix }));
      const versions = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].map(({ Key, VersionId }) => ({ Key, VersionId }));
      if (versions.length === 0) return;
      await this.client.send(new DeleteObjectsCommand({ Bucket: this.name, Delete: { Objects: versions, Quiet: true } }));
    }
  }

  async versioning(): Promise<string | undefined> {
    return (await this.client.send(new GetBucketVersioningCommand({ Bucket: this.name }))).Status;
  }

  close(): void {
    this.client.destroy();
  }
}
