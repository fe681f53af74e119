-- Notification delivery (the notifier, docs/architecture.md §2): each outbox row carries the event's
-- `sequencer` so a key's rows go to an endpoint in commit order (a row waits while an earlier
-- row of the same key and endpoint is pending), and a lease (`claimed_until`) so a crashed
-- notifier's rows return to the others once it runs out. Rows of operational events have no
-- object_key and no order among them.
ALTER TABLE notification_outbox ADD COLUMN sequencer TEXT COLLATE "C" NOT NULL DEFAULT '';
ALTER TABLE notification_outbox ADD COLUMN claimed_until BIGINT;
CREATE INDEX notification_outbox_key_order ON notification_outbox (endpoint, object_key, sequencer)
  WHERE state = 'pending' AND object_key IS NOT NULL;
