-- Every process of the orchestrator says it is alive here every few seconds, with its
-- workers' outcome records: the admin API's status and workers endpoints list the fleet
-- from these rows (docs/architecture.md §9). Rows not refreshed for an hour are removed by
-- the next heartbeat of any process.
CREATE TABLE process_heartbeats (
  process_id TEXT PRIMARY KEY,
  service    TEXT   NOT NULL,
  host       TEXT   NOT NULL,
  pid        INTEGER NOT NULL,
  version    TEXT   NOT NULL,
  started_at BIGINT NOT NULL,
  seen_at    BIGINT NOT NULL,
  workers    JSONB  NOT NULL
);

-- A pass of a periodic job an operator asked a gateway for (POST /admin/api/jobs/{job}/run)
-- when the job runs in another process: the process that runs `worker` claims the row, runs
-- the pass and records its outcome; the gateway follows the row and answers. Finished rows
-- older than a day are removed by the next request.
CREATE TABLE job_runs (
  id           TEXT PRIMARY KEY,
  job          TEXT   NOT NULL,
  worker       TEXT   NOT NULL,
  state        TEXT   NOT NULL,  -- requested | running | finished | unclaimed
  requested_at BIGINT NOT NULL,
  claimed_by   TEXT,
  started_at   BIGINT,
  finished_at  BIGINT,
  outcome      JSONB             -- the worker's RunResult
);
CREATE INDEX job_runs_requested ON job_runs (worker, requested_at) WHERE state = 'requested';
