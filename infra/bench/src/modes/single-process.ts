// Single-process mode (docs/architecture.md §2): `s3-orchestrator serve`, every service in one process
// over SQLite and the in-process bus.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { openLedger } from '@s3o/store';
import { gatewayConfigYaml } from './gateway-config.js';
import { freePort, startGatewayProcess } from './gateway-process.js';
import type { GatewayMode, GatewayStartOptions, RunningGateway, SeedReport } from './mode.js';
import { seedListing } from './seed-ledger.js';
import { seedIdentity, type IdentitySeedReport } from './seed-identity.js';

/** Size recorded for every seeded object; listing never reads their bytes. */
const SEEDED_OBJECT_BYTES = 4096;

export const singleProcessMode: GatewayMode = {
  name: 'single-process',
  description: '`s3-orchestrator serve`: all services in one Node process, SQLite ledger (WAL), in-process bus',

  async start(options: GatewayStartOptions): Promise<RunningGateway> {
    const port = await freePort();
    const { yaml, config } = gatewayConfigYaml({
      port,
      databasePath: join(options.workDir, 's3o.db'),
      backend: options.backend,
      buckets: [options.objectsBucket, options.listingBucket],
      tracingEndpoint: options.tracingEndpoint,
      encryption: options.encryption,
      integrity: options.integrity,
    });
    const configPath = join(options.workDir, 'config.yaml');
    await writeFile(configPath, yaml);

    let seed: SeedReport | null = null;
    let identitySeed: IdentitySeedReport | null = null;
    if (options.identityLoad) {
      const ledger = await openLedger({ driver: 'sqlite', path: config.database.path, source: 'bench-seed' });
      try {
        const configured = { buckets: new Set(config.buckets.map((b) => b.name)), backends: new Set(config.backends.map((b) => b.name)) };
        identitySeed = await seedIdentity(ledger, options.identityLoad, configured, options.objectsBucket.name);
      } finally {
        await ledger.close();
      }
    }
    if (options.listingObjects > 0) {
      // The gateway is not running yet, so this is the only process on the database file.
      const ledger = await openLedger({ driver: 'sqlite', path: config.database.path, source: 'bench-seed' });
      try {
        await ledger.syncBackends(config.backends.map((b) => ({ name: b.name, quotaBytes: b.quotaBytes })));
        const seconds = await seedListing(ledger, {
          bucket: options.listingBucket.name,
          count: options.listingObjects,
          backendName: options.backend.name,
          objectBytes: SEEDED_OBJECT_BYTES,
        });
        seed = { objects: options.listingObjects, seconds, method: 'Ledger.claim + Ledger.commitWrite per object, 512 in flight (the store has no bulk path)' };
      } finally {
        await ledger.close();
      }
    }

    const gateway = await startGatewayProcess({ verb: 'serve', configPath, port, nodeFlags: options.nodeFlags, cwd: options.workDir, runtime: options.runtime });
    return { url: gateway.url, pid: gateway.child.pid, seed, identitySeed, stop: () => gateway.child.stop() };
  },
};
