-- Every process of the orchestrator says it is alive here every few seconds, with its
-- workers' outcome records: the admin API's status and workers endpoints list the fleet
-- from these rows (docs/architecture.md §9). Rows not refreshed for an hour are removed by
-- the next heartbeat of any process.
CREATE TABLE process_heartbeats (
  process_id TEXT PRIMARY KEY,
  service    TEXT    NOT NULL,
  host       TEXT    NOT NULL,
  pid        INTEGER NOT NULL,
  version    TEXT    NOT NULL,
  started_at INTEGER NOT NULL,
  seen_at    INTEGER NOT NULL,
  workers    TEXT    NOT NULL
);
