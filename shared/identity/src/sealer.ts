// How stored secrets are kept at rest (docs/architecture.md §4 "Identity"). SigV4 needs the
// secret itself to verify a signature, so a secret cannot be hashed: it is sealed, and
// unsealed when the registry is rebuilt (refresher.ts opens every stored secret before it
// builds, so a request never waits on a key service).
// With an encryption master key (encryption.*), secrets are sealed under it the way object
// data keys are: a random key per secret, AES-256-GCM, the key wrapped by the master key —
// so a copy of the database alone does not give the secrets away. Without one, the plain
// sealer only tags the text, and what protects stored secrets is the database's own access
// control and its backups' (README, docs/security.md). A secret stored plain before a master
// key was configured stays readable; a sealed one needs its master key (or previous_keys).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export interface SecretSealer {
  /** the form stored in `credentials.secret_sealed` */
  seal(secret: string): Promise<string>;
  /** the secret back; rejects when this sealer cannot open the form (another key, or corrupt) */
  unseal(sealed: string): Promise<string>;
}

/** What a master key offers (structurally @s3o/crypto's KeySource): wrapping random keys. */
export interface WrappingKeys {
  /** the key new secrets are sealed under; null: none configured for writing */
  readonly writeKeyId: string | null;
  wrap(dataKey: Buffer): Promise<{ keyId: string; wrapped: Buffer }>;
  unwrap(keyId: string, wrapped: Buffer): Promise<Buffer>;
}

const PLAIN = 'plain:';
const SEALED = 'sealed-v1:';
/** Bound into every sealed secret, so a sealed form cannot pass for another kind of ciphertext. */
const AAD = Buffer.from('s3o stored secret v1');

function openPlain(sealed: string): string {
  if (!sealed.startsWith(PLAIN)) throw new Error(`this secret was sealed with a master key this process does not have (${sealed.split(':', 1)[0]})`);
  return sealed.slice(PLAIN.length);
}

/** No master key: the secret is stored as `plain:<secret>`. */
export const plainSealer: SecretSealer = {
  seal: async (secret) => PLAIN + secret,
  unseal: async (sealed) => openPlain(sealed),
};

/**
 * Seals under the master key: `sealed-v1:<key id>:<wrapped key>:<iv>:<ciphertext>:<tag>`
 * (base64url). With no write key (encryption turned off, old keys kept readable) new secrets
 * are stored plain, as without a master key.
 */
export function masterKeySealer(keys: WrappingKeys): SecretSealer {
  return {
    async seal(secret) {
      if (keys.writeKeyId === null) return PLAIN + secret;
      const dataKey = randomBytes(32);
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', dataKey, iv).setAAD(AAD);
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      const { keyId, wrapped } = await keys.wrap(dataKey);
      const parts = [wrapped, iv, body, cipher.getAuthTag()].map((b) => b.toString('base64url'));
      return `${SEALED}${encodeURIComponent(keyId)}:${parts.join(':')}`;
    },
    async unseal(sealed) {
      if (!sealed.startsWith(SEALED)) return openPlain(sealed);
      const fields = sealed.slice(SEALED.length).split(':');
      if (fields.length !== 5) throw new Error('a sealed secret is malformed');
      const [keyId, ...rest] = fields as [string, string, string, string, string];
      const [wrapped, iv, body, tag] = rest.map((f) => Buffer.from(f, 'base64url')) as [Buffer, Buffer, Buffer, Buffer];
      const dataKey = await keys.unwrap(decodeURIComponent(keyId), wrapped);
      const decipher = createDecipheriv('aes-256-gcm', dataKey, iv).setAAD(AAD);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    },
  };
}

/**
 * Opens every sealed form of `sealed` (one unseal per distinct form); a form that cannot be
 * opened maps to the error, so the registry leaves that credential out and says why. Forms
 * `known` already opened are taken from it: a rebuild unseals only secrets new since the last
 * (a sealed form never changes; one that failed is tried again — its key may be back).
 */
export async function openSecrets(
  sealed: Iterable<string>, sealer: SecretSealer, known: ReadonlyMap<string, string | Error> = new Map(),
): Promise<Map<string, string | Error>> {
  const opened = new Map<string, string | Error>();
  for (const form of sealed) {
    if (opened.has(form)) continue;
    const before = known.get(form);
    if (typeof before === 'string') {
      opened.set(form, before);
      continue;
    }
    try {
      opened.set(form, await sealer.unseal(form));
    } catch (err) {
      opened.set(form, err instanceof Error ? err : new Error(String(err)));
    }
  }
  return opened;
}
