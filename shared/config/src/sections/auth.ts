// `auth.*`: the root credential (every permission, docs/architecture.md §6 "Authorisation");
// and the credential shape buckets share with it, whose access key ids must be unique across
// the whole file.

import { z } from 'zod';
import { optionalSection, requiredText, section } from '../fields.js';
import { formatKeyPath } from '../key-path.js';
import { defineSection, reportDuplicates, type Keyed } from '../section.js';

export interface Credential {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface AuthConfig {
  /** The root credential (every permission); null when none is configured. */
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
  buckets: ReadonlyArray<{ credentials: ReadonlyArray<{ access_key_id: string }> }>;
};

export const authSection = defineSection({
  key: 'auth',
  field: 'auth',
  schema,
  normalise: ({ auth }: Reads): AuthConfig => ({ root: auth.root === null ? null : toCredential(auth.root) }),
  // One access key id must identify one principal: the gateway finds the secret (and the
  // bucket it grants) by the key id alone.
  check({ auth, buckets }: Reads, report) {
    const accessKeys: Keyed[] = [];
    if (auth.root !== null) accessKeys.push({ value: auth.root.access_key_id, path: ['auth', 'root', 'access_key_id'] });
    buckets.forEach((bucket, i) => {
      bucket.credentials.forEach((credential, j) => {
        accessKeys.push({ value: credential.access_key_id, path: ['buckets', i, 'credentials', j, 'access_key_id'] });
      });
    });
    reportDuplicates(
      accessKeys,
      (id, first) => `access key id ${JSON.stringify(id)} is already used by ${formatKeyPath(first.slice(0, -1))}`,
      report,
    );
  },
});
