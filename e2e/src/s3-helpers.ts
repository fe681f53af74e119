// Small wrappers over SDK calls the tests repeat: reading a whole (small) body, hashing a
// large one as it streams, listing every key under a prefix.
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type GetObjectCommandInput,
  type GetObjectCommandOutput,
  type PutObjectCommandInput,
  type PutObjectCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { readAll, sha256OfStream } from './data.js';

export async function getBytes(client: S3Client, input: GetObjectCommandInput): Promise<{ body: Buffer; output: GetObjectCommandOutput }> {
  const output = await client.send(new GetObjectCommand(input));
  return { body: await readAll(output.Body as AsyncIterable<Uint8Array>), output };
}

export async function getDigest(
  client: S3Client,
  input: GetObjectCommandInput,
): Promise<{ sha256: string; bytes: number; output: GetObjectCommandOutput }> {
  const output = await client.send(new GetObjectCommand(input));
  return { ...(await sha256OfStream(output.Body as AsyncIterable<Uint8Array>)), output };
}

export function put(client: S3Client, input: PutObjectCommandInput): Promise<PutObjectCommandOutput> {
  return client.send(new PutObjectCommand(input));
}

/** Every key under `prefix`, following continuation tokens. */
export async function listAllKeys(client: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** `"<md5 hex>"`: the ETag S3 gives a single-part object. */
export function quotedEtag(md5HexValue: string): string {
  return `"${md5HexValue}"`;
}
