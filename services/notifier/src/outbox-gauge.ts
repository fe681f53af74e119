// `s3o_notification_outbox{state}`: deliveries waiting (pending) and given up on (dead), read
// from the outbox when Prometheus scrapes — a growing pending count is a receiver that is
// down or slow; any dead row needs an operator (GET /admin/api/notifications/dead).
// Several notifiers in one process (tests) share the gauge; each registers its ledger once.
import type { NotificationLedger } from '@s3o/store';
import { gauge } from '@s3o/telemetry';

const ledgers = new Set<NotificationLedger>();

gauge({
  name: 's3o_notification_outbox',
  help: 'Notification deliveries in the outbox by state (pending, dead), read at scrape time',
  labelNames: ['state'] as const,
  async collect() {
    this.reset();
    for (const ledger of ledgers) {
      // One ledger answers for the shared outbox; a failing read leaves the series out, not the scrape.
      try {
        const [pending, dead] = await Promise.all([ledger.notifications.depth('pending'), ledger.notifications.depth('dead')]);
        this.set({ state: 'pending' }, pending);
        this.set({ state: 'dead' }, dead);
        return;
      } catch {
        continue;
      }
    }
  },
});

/** Reports this ledger's outbox while the notifier runs; returns the remover. */
export function reportOutboxDepth(ledger: NotificationLedger): () => void {
  ledgers.add(ledger);
  return () => ledgers.delete(ledger);
}
