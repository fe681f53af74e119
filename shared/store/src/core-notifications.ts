// The notification outbox's operations (notifications.ts) on top of a TxAdapter. The
// enqueue is the notifier's exactly-once step: the processed_events row and the deliveries
// are written in one transaction, so a redelivered bus event adds nothing and a crash
// between the two cannot happen.
import type { NewNotification, NotificationOutbox, NotificationRow, NotificationState } from './notifications.js';
import type { TxAdapter } from './tx-adapter.js';

export class CoreNotificationOutbox implements NotificationOutbox {
  constructor(private readonly adapter: TxAdapter, private readonly clock: () => number) {}

  async enqueue(consumer: string, eventId: string, deliveries: NewNotification[]): Promise<boolean> {
    return this.adapter.withTx(async (tx) => {
      const now = this.clock();
      if (!(await tx.insertProcessedEvent(consumer, eventId, now))) return false;
      for (const delivery of deliveries) await tx.insertNotification(eventId, delivery, now);
      return true;
    });
  }

  async claim(limit: number, leaseMs: number): Promise<NotificationRow[]> {
    if (limit <= 0) return [];
    return this.adapter.withTx(async (tx) => {
      const now = this.clock();
      return tx.claimDueNotifications(now, now + leaseMs, limit);
    });
  }

  async delivered(id: number): Promise<void> {
    await this.adapter.withTx((tx) => tx.deleteNotification(id));
  }

  async failed(id: number, error: string, nextRetry: number): Promise<void> {
    await this.adapter.withTx((tx) => tx.recordNotificationFailure(id, error, nextRetry));
  }

  async dead(id: number, error: string): Promise<void> {
    await this.adapter.withTx((tx) => tx.markNotificationDead(id, error));
  }

  async listDead(afterId: number | null, limit: number): Promise<NotificationRow[]> {
    if (limit <= 0) return [];
    return this.adapter.read((q) => q.listDeadNotifications(afterId, limit));
  }

  async depth(state: NotificationState): Promise<number> {
    return this.adapter.read((q) => q.countNotifications(state));
  }

  async requeueDead(ids: number[] | null): Promise<number> {
    if (ids !== null && ids.length === 0) return 0;
    return this.adapter.withTx((tx) => tx.requeueDeadNotifications(ids, this.clock()));
  }
}
