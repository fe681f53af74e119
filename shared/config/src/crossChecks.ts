// Rules that relate several values of the file to each other. They run on the
// per-value-validated document even when some values were bad (zod runs
// refinements on "dirty" data), so a value that failed its own check reads as
// undefined here and is skipped rather than reported twice.

import { z } from 'zod';
import { selectedDatabaseDriver } from './databaseDriver.js';
import type { ConfigDocument } from './document.js';
import { formatKeyPath, type KeyPath } from './keyPath.js';
import { checkNotificationRules } from './notifications.js';
import { checkTelemetryRules } from './telemetry.js';

export function checkCrossFieldRules(doc: ConfigDocument, ctx: z.RefinementCtx): void {
  const report = (path: KeyPath, message: string): void => {
    ctx.addIssue({ code: z.ZodIssueCode.custom, path: [...path], message });
  };

  if (doc.buckets.length === 0) report(['buckets'], 'at least one bucket is required');
  if (doc.backends.length === 0) report(['backends'], 'at least one backend is required');
  // Each copy of an object lives on its own backend: more copies than backends cannot be made.
  const factor = doc.replication.factor;
  if (typeof factor === 'number' && doc.backends.length > 0 && factor > doc.backends.length) {
    report(['replication', 'factor'], `must not exceed the number of backends (${doc.backends.length})`);
  }

  doc.buckets.forEach((bucket, i) => {
    if (bucket.credentials.length === 0) report(['buckets', i, 'credentials'], 'at least one credential is required');
  });

  reportDuplicates(
    doc.buckets.map((bucket, i) => ({ value: bucket.name, path: ['buckets', i, 'name'] })),
    (name, first) => `duplicate bucket name ${JSON.stringify(name)} (also ${formatKeyPath(first)})`,
    report,
  );
  reportDuplicates(
    doc.backends.map((backend, i) => ({ value: backend.name, path: ['backends', i, 'name'] })),
    (name, first) => `duplicate backend name ${JSON.stringify(name)} (also ${formatKeyPath(first)})`,
    report,
  );

  // One access key id must identify one principal: the gateway finds the
  // secret (and the bucket it grants) by the key id alone.
  const accessKeys: Keyed[] = [];
  if (doc.auth.root !== null) accessKeys.push({ value: doc.auth.root.access_key_id, path: ['auth', 'root', 'access_key_id'] });
  doc.buckets.forEach((bucket, i) => {
    bucket.credentials.forEach((credential, j) => {
      accessKeys.push({ value: credential.access_key_id, path: ['buckets', i, 'credentials', j, 'access_key_id'] });
    });
  });
  reportDuplicates(
    accessKeys,
    (id, first) => `access key id ${JSON.stringify(id)} is already used by ${formatKeyPath(first.slice(0, -1))}`,
    report,
  );

  const bucketNames = new Set(doc.buckets.map((bucket) => bucket.name));
  doc.lifecycle.rules.forEach((rule, i) => {
    if (typeof rule.bucket === 'string' && !bucketNames.has(rule.bucket)) {
      report(['lifecycle', 'rules', i, 'bucket'], `no bucket is named ${JSON.stringify(rule.bucket)}`);
    }
  });

  checkNotificationRules(doc, report);
  checkTelemetryRules(doc, report);

  const { database } = doc;
  if (database.min_conns !== null && database.min_conns > database.max_conns) {
    report(['database', 'min_conns'], `must not exceed max_conns (${database.max_conns})`);
  }

  // With postgres, transactions commit out of `seq` order, so a reader tailing
  // event_log by seq (the in-process bus) could skip rows for good (DESIGN §2).
  if (doc.bus.driver === 'memory' && selectedDatabaseDriver(database) === 'postgres') {
    report(['bus', 'driver'], '"memory" cannot be used with postgres (events could be skipped); use "nats"');
  }

  const queue = doc.cleanup_queue;
  if (queue.backoff_max < queue.backoff_base) {
    report(['cleanup_queue', 'backoff_max'], 'must not be shorter than backoff_base');
  }

  const pending = doc.write_path.pending_pattern;
  if (pending.enabled === false) {
    report(
      ['write_path', 'pending_pattern', 'enabled'],
      'cannot be turned off (every write records its intent before touching a backend)',
    );
  }
  // A write renews its intent every heartbeat; the reaper treats intents older
  // than min_age as abandoned, so the heartbeat must come well before that.
  if (pending.heartbeat >= pending.min_age) {
    report(['write_path', 'pending_pattern', 'heartbeat'], 'must be shorter than min_age (live writes would be reaped)');
  }

  // Adaptive flushing publishes faster near a limit; a "fast" interval that is not faster
  // would silently do nothing.
  const flush = doc.usage_flush;
  if (flush.adaptive_enabled === true && flush.fast_interval >= flush.interval) {
    report(['usage_flush', 'fast_interval'], 'must be shorter than interval when adaptive_enabled is true');
  }
}

interface Keyed {
  value: string;
  path: KeyPath;
}

/** Reports every occurrence after the first of each value, pointing back at the first. */
function reportDuplicates(
  entries: Keyed[],
  describe: (value: string, firstPath: KeyPath) => string,
  report: (path: KeyPath, message: string) => void,
): void {
  const firstSeen = new Map<string, KeyPath>();
  for (const { value, path } of entries) {
    if (typeof value !== 'string') continue; // failed its own check
    const first = firstSeen.get(value);
    if (first === undefined) firstSeen.set(value, path);
    else report(path, describe(value, first));
  }
}
