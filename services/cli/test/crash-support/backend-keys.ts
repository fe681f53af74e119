// What really sits on an s3rver backend of a crash test: every storage key with its size,
// listed through the project's own backend client (bypassing the orchestrator).
import { BackendClient } from '@s3o/backends';
import { BACKEND_BUCKET } from './crash-config.js';

export async function backendKeys(name: string, endpoint: string): Promise<Array<{ storageKey: string; size: number }>> {
  const client = new BackendClient({
    name, endpoint, region: 'us-east-1', bucket: BACKEND_BUCKET, accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', timeoutMs: 10_000,
  });
  try {
    const keys: Array<{ storageKey: string; size: number }> = [];
    let token: string | undefined;
    do {
      const page = await client.listObjects({ continuationToken: token });
      keys.push(...page.keys.map((k) => ({ storageKey: k.key, size: k.size })));
      token = page.nextToken;
    } while (token !== undefined);
    return keys;
  } finally {
    client.close();
  }
}
