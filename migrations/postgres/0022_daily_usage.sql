-- Usage per backend and UTC day, beside the monthly backend_usage rows and folded in the same
-- transaction from the same usage.delta events: the dashboard draws a month's usage from
-- these rows (docs/architecture.md §4 backend_usage_daily). A day belongs to one period, so
-- the days of a month add up to its backend_usage row from this migration on.
CREATE TABLE backend_usage_daily (
  backend_name   TEXT COLLATE "C" NOT NULL,
  day            TEXT   NOT NULL,  -- YYYY-MM-DD, UTC
  api_requests   BIGINT NOT NULL DEFAULT 0,
  egress_bytes   BIGINT NOT NULL DEFAULT 0,
  ingress_bytes  BIGINT NOT NULL DEFAULT 0,
  updated_at     BIGINT NOT NULL,
  PRIMARY KEY (backend_name, day)
);
