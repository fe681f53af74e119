// Loads the identity registry for the "loaded" benchmark runs (docs/performance.md, "Identity
// load"): users, each with a stored credential and grants, on stored buckets and the bucket
// the scenarios use — written through the ledger's provisioning API before the gateway
// starts, so the gateway authorises every request against a registry of that size.
import { performance } from 'node:perf_hooks';
import type { ConfiguredResources, Ledger } from '@s3o/store';

export interface IdentityLoad {
  users: number;
  /** grants in total, spread evenly over the users */
  grants: number;
}

export interface IdentitySeedReport extends IdentityLoad {
  buckets: number;
  seconds: number;
}

/** Stored buckets the grants spread over. */
const STORED_BUCKETS = 100;
/** Provisioning transactions in flight at once. */
const IN_FLIGHT = 64;

export async function seedIdentity(ledger: Ledger, load: IdentityLoad, configured: ConfiguredResources, scenarioBucket: string): Promise<IdentitySeedReport> {
  const start = performance.now();
  const buckets = Array.from({ length: STORED_BUCKETS }, (_, i) => `loaded-${String(i).padStart(3, '0')}`);
  for (const b of buckets) await ledger.identity.createBucket(b, configured);
  const perUser = Math.ceil(load.grants / load.users);
  let grants = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < load.users) {
      const i = next++;
      const user = `user${String(i).padStart(5, '0')}`;
      await ledger.identity.createUser(user);
      await ledger.identity.addCredential({ user, accessKeyId: `LOADED${String(i).padStart(10, '0')}`, sealedSecret: `plain:loaded-secret-${i}` });
      // One grant on the scenarios' bucket, the rest on stored buckets (distinct per user).
      for (let g = 0; g < perUser && grants < load.grants; g++, grants++) {
        const name = g === 0 ? scenarioBucket : buckets[(i + g) % buckets.length]!;
        await ledger.identity.putGrant({ user, kind: 'bucket', name, permissions: g === 0 ? ['read', 'list'] : ['all'], mode: 'set' }, configured);
      }
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { users: load.users, grants, buckets: STORED_BUCKETS, seconds: (performance.now() - start) / 1000 };
}
