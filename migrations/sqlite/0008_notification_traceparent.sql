-- The trace a delivery belongs to (W3C traceparent of the notifier's consume span), so the
-- delivery attempts show in the trace of the request that caused the event (docs/architecture.md §5).
ALTER TABLE notification_outbox ADD COLUMN traceparent TEXT;
