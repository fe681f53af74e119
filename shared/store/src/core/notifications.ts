// The notification outbox's operations (NotificationOutbox). The enqueue is the notifier's
// exactly-once step: the processed_events row and the deliveries are written in one
// transaction, so a redelivered bus event adds nothing and a crash between the two cannot happen.
import type { NewNotification, NotificationOutbox, NotificationRow, NotificationState } from '../notifications.js';
import type { Core } from './tx-work.js';

export function notificationOutbox(core: Core): NotificationOutbox {
  return {
    async enqueue(consumer: string, eventId: string, deliveries: NewNotification[]): Promise<boolean> {
      return core.withWork(async ({ tx, now }) => {
        if (!(await tx.insertProcessedEvent(consumer, eventId, now))) return false;
        for (const delivery of deliveries) await tx.insertNotification(eventId, delivery, now);
        return true;
      });
    },

    async claim(limit: number, leaseMs: number): Promise<NotificationRow[]> {
      if (limit <= 0) return [];
      return core.withWork(({ tx, now }) => tx.claimDueNotifications(now, now + leaseMs, limit));
    },

    async delivered(id: number): Promise<void> {
      await core.withWork(({ tx }) => tx.deleteNotification(id));
    },

    async failed(id: number, error: string, nextRetry: number): Promise<void> {
      await core.withWork(({ tx }) => tx.recordNotificationFailure(id, error, nextRetry));
    },

    async dead(id: number, error: string): Promise<void> {
      await core.withWork(({ tx }) => tx.markNotificationDead(id, error));
    },

    async listDead(afterId: number | null, limit: number): Promise<NotificationRow[]> {
      if (limit <= 0) return [];
      return core.read((q) => q.listDeadNotifications(afterId, limit));
    },

    async depth(state: NotificationState): Promise<number> {
      return core.read((q) => q.countNotifications(state));
    },

    async requeueDead(ids: number[] | null): Promise<number> {
      if (ids !== null && ids.length === 0) return 0;
      return core.withWork(({ tx, now }) => tx.requeueDeadNotifications(ids, now));
    },
  };
}
