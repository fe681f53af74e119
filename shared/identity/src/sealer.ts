// How stored secrets are kept at rest (docs/architecture.md §4 "Identity"). SigV4 needs the
// secret itself to verify a signature, so a secret cannot be hashed: it is sealed, and
// unsealed when the registry is built. The encryption master key (docs/security.md) will give
// a sealer that encrypts; until one exists the plain sealer only tags the text, and what
// protects stored secrets is the database's own access control and its backups' — said
// plainly in README and docs/security.md.

export interface SecretSealer {
  /** the form stored in `credentials.secret_sealed` */
  seal(secret: string): string;
  /** the secret back; throws when this sealer cannot open the form (another key, or corrupt) */
  unseal(sealed: string): string;
}

const PLAIN = 'plain:';

/** No master key: the secret is stored as `plain:<secret>`. */
export const plainSealer: SecretSealer = {
  seal: (secret) => PLAIN + secret,
  unseal(sealed) {
    if (!sealed.startsWith(PLAIN)) throw new Error(`this secret was sealed with a key this process does not have (${sealed.split(':', 1)[0]})`);
    return sealed.slice(PLAIN.length);
  },
};
