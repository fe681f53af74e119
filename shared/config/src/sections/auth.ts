// `auth.*`: the admin API's root credential; and the credential shape buckets share with it.
// An access key id names one principal across the whole file.

import { z } from 'zod';
import { optionalSection, requiredText, section } from '../fields.js';
import { formatKeyPath } from '../key-path.js';
import type { KeyPath } from '../key-path.js';
import { defineSection } from '../section.js';

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface AuthConfig {
  /** The admin API credential; null when the admin API has no credential configured. */
  root: Credential | null;
}

const credentialShape = {
  access_key_id: requiredText(),
  secret_access_key: requiredText(),
};

/** One access key id and its secret, both required. */
export const credentialSchema = z.object(credentialShape);

export function toCredential(raw: z.output<typeof credentialSchema>): Credential {
  return { accessKeyId: raw.access_key_id, secretAccessKey: raw.secret_access_key };
}

const schema = section({
  root: optionalSection(credentialShape),
});

type Reads = {
  auth: z.output<typeof schema>;
  // Written out rather than imported: buckets.ts imports this file.
  buckets: ReadonlyArray<{ credentials: ReadonlyArray<{ access_key_id: string; secret_access_key: string }> }>;
};

export const authSection = defineSection({
  key: 'auth',
  field: 'auth',
  schema,
  normalise: ({ auth }: Reads): AuthConfig => ({ root: auth.root === null ? null : toCredential(auth.root) }),
  // One access key id must identify one principal: the gateway finds the secret (and the
  // buckets it grants) by the key id alone. The same key listed under several buckets, with
  // the same secret, is one principal that may use each of them (a copy between them is a
  // real copy); listed twice in one bucket, with another secret, or as the root, it is an error.
  check({ auth, buckets }: Reads, report) {
    const first = new Map<string, { path: KeyPath; secret: string; bucket: number }>();
    const describe = (id: string, path: KeyPath) => `access key id ${JSON.stringify(id)} is already used by ${formatKeyPath(path.slice(0, -1))}`;
    if (auth.root !== null) first.set(auth.root.access_key_id, { path: ['auth', 'root', 'access_key_id'], secret: '', bucket: -1 });
    buckets.forEach((bucket, i) => {
      bucket.credentials.forEach((credential, j) => {
        const id = credential.access_key_id;
        if (typeof id !== 'string') return; // failed its own check
        const path: KeyPath = ['buckets', i, 'credentials', j, 'access_key_id'];
        const seen = first.get(id);
        if (seen === undefined) first.set(id, { path, secret: credential.secret_access_key, bucket: i });
        else if (seen.bucket === -1 || seen.bucket === i) report(path, describe(id, seen.path));
        else if (seen.secret !== credential.secret_access_key) report(path, `${describe(id, seen.path)} with another secret`);
      });
    });
  },
});
