// The admin API's route table: every endpoint under /admin/api with what it takes and
// answers. The OpenAPI document (openapi.ts, served at GET /admin/api/openapi.json and kept
// in docs/admin-api.openapi.json) is generated from it, and the plugin (index.ts) refuses to
// start when the routes it registered and this table differ — an endpoint cannot exist
// undocumented, nor a documented one be missing.

export type AdminMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface AdminParam {
  name: string;
  description: string;
  required?: boolean;
  type?: 'string' | 'integer' | 'boolean';
  /** the values allowed, when they are few */
  enum?: readonly string[];
  /** may be given more than once */
  repeated?: boolean;
}

export interface AdminRouteSpec {
  method: AdminMethod;
  /** below /admin/api, path parameters as `{name}` */
  path: string;
  /** the group in the OpenAPI document */
  tag: string;
  summary: string;
  pathParams?: AdminParam[];
  query?: AdminParam[];
  /** the JSON body it reads, described */
  body?: string;
  /** answers NDJSON progress lines (Accept: application/x-ndjson) instead of one JSON document */
  streams?: boolean;
  /** status → what it means */
  responses: Record<number, string>;
}

/** The jobs an operator can run now, by the name used in the URL, and the worker that runs each. */
export const TRIGGERS = {
  replicate: 'replication-sweep',
  'over-replication': 'replication-sweep',
  rebalance: 'rebalance',
  lifecycle: 'lifecycle',
  reconcile: 'reconcile',
  scrub: 'integrity-scrub',
  'usage-flush': null,
} as const satisfies Record<string, string | null>;
export type TriggerName = keyof typeof TRIGGERS;

const NAME = { name: 'name', description: 'a configured backend', required: true };
const DENIED = { 403: 'not signed by a key whose user holds the permission it needs' };
const USER = { name: 'name', description: 'a user', required: true };
const GRANT_BODY = '{ "kind": "bucket" | "backend" | "orchestrator", "name": "photos" | "*", "permissions": ["read", "list"] }';
const GRANT_ANSWERS = { 200: 'the grant as it now stands', 400: 'unknown permission, or bucket and admin permissions mixed (field named)', 403: 'a user of the config file, or the signer lacks the permission', 404: 'no such user, bucket or backend' };
const LIMIT = (max: number) => ({ name: 'limit', type: 'integer' as const, description: `at most this many (1–${max})` });

export const ADMIN_ROUTES: readonly AdminRouteSpec[] = [
  { method: 'GET', path: '/openapi.json', tag: 'meta', summary: 'This document', responses: { 200: 'the OpenAPI 3.1 document', ...DENIED } },

  // Seeing the system
  { method: 'GET', path: '/status', tag: 'status', summary: 'This process and the fleet: backends (health, breaker, drain, quota, objects, usage), queues, intents, uploads, services seen', responses: { 200: 'the status document', ...DENIED } },
  { method: 'GET', path: '/config', tag: 'status', summary: 'The running configuration, secrets redacted, the keys a reload applies live, the sections that still take a restart (with why) and the last reload', responses: { 200: 'the configuration', ...DENIED } },
  { method: 'GET', path: '/workers', tag: 'status', summary: "Every periodic job's outcome record in every process seen: last success and failure, error, failures in a row, lock holder", responses: { 200: 'the records', ...DENIED } },
  {
    method: 'GET', path: '/object-locations', tag: 'objects', summary: 'Every copy of one object: backend, storage key, state (ok / missing / corrupt), size, written at, verified at (the scrubber)',
    query: [{ name: 'bucket', description: 'the virtual bucket', required: true }, { name: 'key', description: 'the object key', required: true }],
    responses: { 200: 'the object and its copies', 400: 'bucket or key missing', 404: 'NoSuchBucket or NoSuchKey', ...DENIED },
  },
  {
    method: 'GET', path: '/objects', tag: 'objects', summary: 'Browse a virtual bucket from the ledger (keys with their copies, common prefixes)',
    query: [
      { name: 'bucket', description: 'the virtual bucket', required: true },
      { name: 'prefix', description: 'only keys starting with this' },
      { name: 'delimiter', description: 'group keys by this after the prefix' },
      { name: 'after', description: 'start after this key (the previous page\'s next_after)' },
      LIMIT(1000),
    ],
    responses: { 200: 'one page', 400: 'bad parameter', 404: 'NoSuchBucket', ...DENIED },
  },
  {
    method: 'GET', path: '/logs', tag: 'logs', summary: "This process's latest log lines (an in-memory ring)",
    query: [
      { name: 'level', description: 'this level or above', enum: ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] },
      { name: 'since', description: 'only lines after this time (ISO 8601 or epoch ms)' },
      LIMIT(2000),
    ],
    responses: { 200: 'the lines, oldest first', 400: 'bad parameter', ...DENIED },
  },
  { method: 'GET', path: '/log-level', tag: 'logs', summary: "This process's log level", responses: { 200: '{ level }', ...DENIED } },
  { method: 'PUT', path: '/log-level', tag: 'logs', summary: "Change this process's log level until restart", body: '{ "level": "debug" }', responses: { 200: '{ level, previous }', 400: 'unknown level', ...DENIED } },

  // Running jobs now
  {
    method: 'POST', path: '/jobs/{job}/run', tag: 'jobs', summary: 'Run one pass of a periodic job now and report its outcome; with Accept: application/x-ndjson, progress lines while it runs',
    pathParams: [{ name: 'job', description: 'the job', required: true, enum: Object.keys(TRIGGERS) }],
    query: [
      { name: 'bucket', description: 'scrub only: with key, check that one object\'s copies (whatever their age)' },
      { name: 'key', description: 'scrub only: the object key, with bucket' },
      { name: 'backend', description: 'scrub only: check only the copies on this backend (whatever their age)' },
    ],
    streams: true,
    responses: {
      200: 'the pass ran: its counts (NDJSON: started, running…, then done or failed)',
      400: 'InvalidArgument: a scope for a job other than scrub, or key without bucket',
      404: 'NoSuchJob: unknown job, or not configured here (e.g. no lifecycle rules); NoSuchBucket / NoSuchKey / NoSuchBackend: the scrub scope names nothing',
      409: 'JobBusy: a pass is running (the scheduled one holds the lock); try again later',
      500: 'the pass failed: its error',
      503: 'NotRunHere: no process this gateway can reach runs the job (distributed mode: the placement or cleanup service runs it)',
      ...DENIED,
    },
  },

  // Configuration
  {
    method: 'POST', path: '/reload', tag: 'config', summary: "Re-read the configuration file (as SIGHUP does): this process, or with all=true every process seen",
    query: [{ name: 'all', type: 'boolean', description: 'every process seen by its heartbeat re-reads its own file' }],
    responses: { 200: 'what changed, was applied and needs a restart (per process with all=true)', 422: 'the file is invalid: nothing changed (or some process refused it)', 503: 'NotAvailable: started without a configuration file', ...DENIED },
  },
  { method: 'GET', path: '/reload-status', tag: 'config', summary: "This process's last configuration reload", responses: { 200: '{ status } (null before the first reload)', 503: 'NotAvailable: started without a configuration file', ...DENIED } },

  // Backends
  { method: 'POST', path: '/backends/{name}/drain', tag: 'backends', summary: 'Start draining a backend', pathParams: [NAME], responses: { 202: 'the drain', 404: 'NoSuchBackend', 409: 'DrainInProgress', ...DENIED } },
  { method: 'GET', path: '/backends/{name}/drain', tag: 'backends', summary: "A backend's latest drain and what it still holds", pathParams: [NAME], responses: { 200: 'the drain', 404: 'NoSuchBackend or NoSuchDrain', ...DENIED } },
  { method: 'DELETE', path: '/backends/{name}/drain', tag: 'backends', summary: 'Cancel a drain, or return a drained backend to service', pathParams: [NAME], responses: { 200: 'the cancelled drain', 404: 'NoSuchBackend', 409: 'NoDrainInProgress', ...DENIED } },
  {
    method: 'DELETE', path: '/backends/{name}', tag: 'backends', summary: 'Forget a backend that holds nothing; purge=true drops its records after a confirmation',
    pathParams: [{ name: 'name', description: 'a backend the ledger knows', required: true }],
    query: [{ name: 'purge', type: 'boolean', description: 'drop its records even though it holds some' }, { name: 'confirm', description: 'the token of the ConfirmationRequired answer' }],
    responses: { 200: 'removed', 404: 'NoSuchBackend', 409: 'BackendNotEmpty or ConfirmationRequired', ...DENIED },
  },
  {
    method: 'GET', path: '/usage', tag: 'backends', summary: 'Monthly usage per backend with limits and what remains',
    query: [{ name: 'period', description: 'YYYY-MM or "all" (default: this month, UTC)' }],
    responses: { 200: 'the usage rows', 400: 'bad period', ...DENIED },
  },
  {
    method: 'GET', path: '/usage/daily', tag: 'backends', summary: 'Usage per backend and UTC day of one month (days without usage are absent)',
    query: [{ name: 'period', description: 'YYYY-MM (default: this month, UTC)' }],
    responses: { 200: 'the days, by day then backend', 400: 'bad period', ...DENIED },
  },
  {
    method: 'GET', path: '/verify', tag: 'backends', summary: 'Compare the ledger with what the backends hold',
    query: [{ name: 'max_keys', type: 'integer', description: 'keys named per finding (0–100000, default 100)' }, { name: 'backend', description: 'only this backend', repeated: true }],
    responses: { 200: 'the report (ok: nothing leaked or missing)', 400: 'unknown backend', ...DENIED },
  },
  {
    method: 'GET', path: '/lost-objects', tag: 'backends', summary: 'Objects with no copy left',
    query: [LIMIT(1000), { name: 'after', description: 'resume after this key' }],
    responses: { 200: 'one page', ...DENIED },
  },

  // Queues
  { method: 'GET', path: '/cleanup-queue', tag: 'queues', summary: 'Queued byte deletions (debts)', query: [LIMIT(1000), { name: 'after', type: 'integer', description: 'resume after this id' }], responses: { 200: 'depth and one page', ...DENIED } },
  { method: 'GET', path: '/cleanup-dlq', tag: 'queues', summary: 'Dead-lettered debts', query: [LIMIT(1000), { name: 'after', type: 'integer', description: 'resume after this id' }], responses: { 200: 'depth and one page', ...DENIED } },
  { method: 'POST', path: '/cleanup-dlq/requeue', tag: 'queues', summary: 'Move dead letters back to the queue', body: '{ "ids": [1, 2] } or { "all": true }', responses: { 200: 'how many moved', 400: 'bad body', ...DENIED } },
  { method: 'POST', path: '/cleanup-dlq/discard', tag: 'queues', summary: 'Forget dead letters settled outside the orchestrator', body: '{ "ids": [1, 2] }', responses: { 200: 'how many were discarded', 400: 'bad body', ...DENIED } },
  { method: 'GET', path: '/notifications/dead', tag: 'queues', summary: 'Dead-lettered notification deliveries', query: [LIMIT(1000), { name: 'after', type: 'integer', description: 'resume after this id' }], responses: { 200: 'one page', ...DENIED } },
  { method: 'POST', path: '/notifications/dead/requeue', tag: 'queues', summary: 'Deliver dead-lettered notifications again', body: '{ "ids": [1, 2] } or { "all": true }', responses: { 200: 'how many were requeued', 400: 'bad body', ...DENIED } },

  // Users, credentials, grants and stored buckets (identity.ts; permissions.ts says which control-plane permission each needs)
  { method: 'GET', path: '/users', tag: 'identity', summary: 'Every user (config and stored) with its credentials (never the secrets) and grants', responses: { 200: '{ users }', ...DENIED } },
  { method: 'POST', path: '/users', tag: 'identity', summary: 'Create a stored user', body: '{ "name": "backup" }', responses: { 201: 'the user', 400: 'bad name (field named)', 409: 'the name is taken', ...DENIED } },
  { method: 'POST', path: '/users/{name}/rename', tag: 'identity', summary: 'Rename a stored user (its id, credentials and grants stay)', pathParams: [USER], body: '{ "new_name": "backups" }', responses: { 200: 'the new name', 400: 'bad name', 403: 'a user of the config file, or the signer lacks the permission', 404: 'no such user', 409: 'the name is taken' } },
  { method: 'DELETE', path: '/users/{name}', tag: 'identity', summary: 'Delete a stored user that holds no credential', pathParams: [USER], responses: { 200: 'deleted', 403: 'a user of the config file, or the signer lacks the permission', 404: 'no such user', 409: 'it still holds credentials' } },
  {
    method: 'POST', path: '/users/{name}/credentials', tag: 'identity', summary: 'Issue a credential: mint a key pair (the secret is answered this once) or register the one given',
    pathParams: [USER], body: '{} or { "access_key_id": "…", "secret_access_key": "…" }',
    responses: { 201: 'the credential, with its secret this once', 400: 'malformed key or secret (field named)', 403: 'a user of the config file, or the signer lacks the permission', 404: 'no such user', 409: 'the access key id is taken' },
  },
  { method: 'DELETE', path: '/credentials/{id}', tag: 'identity', summary: 'Revoke a stored credential (kept, marked revoked)', pathParams: [{ name: 'id', description: 'the access key id', required: true }], responses: { 200: 'revoked', 403: 'a credential of the config file, or the signer lacks the permission', 404: 'no such credential' } },
  { method: 'POST', path: '/users/{name}/grants', tag: 'identity', summary: "Add permissions to a user's grant on a resource", pathParams: [USER], body: GRANT_BODY, responses: GRANT_ANSWERS },
  { method: 'PUT', path: '/users/{name}/grants', tag: 'identity', summary: "Set a user's grant on a resource (replacing its permissions)", pathParams: [USER], body: GRANT_BODY, responses: GRANT_ANSWERS },
  {
    method: 'DELETE', path: '/users/{name}/grants/{kind}/{resource}', tag: 'identity', summary: "Remove a user's grant on a resource",
    pathParams: [USER, { name: 'kind', description: 'bucket, backend or orchestrator', required: true, enum: ['bucket', 'backend', 'orchestrator'] }, { name: 'resource', description: 'the resource name or *', required: true }],
    responses: { 200: 'removed', 404: 'no such grant', ...DENIED },
  },
  { method: 'GET', path: '/buckets', tag: 'identity', summary: 'Every bucket: the config file\'s and those made at run time', responses: { 200: '{ buckets }', ...DENIED } },
  { method: 'POST', path: '/buckets', tag: 'identity', summary: 'Create a stored bucket', body: '{ "name": "archive" }', responses: { 201: 'the bucket', 400: 'InvalidBucketName', 409: 'BucketAlreadyExists', ...DENIED } },
  { method: 'DELETE', path: '/buckets/{name}', tag: 'identity', summary: 'Delete a stored bucket that is empty and granted to no one', pathParams: [{ name: 'name', description: 'a stored bucket', required: true }], responses: { 200: 'deleted', 403: 'a bucket of the config file, or the signer lacks the permission', 404: 'NoSuchBucket', 409: 'not empty, or still granted' } },
];

/** `GET /backends/{name}/drain` → `GET /backends/:name/drain`, as fastify names routes. */
export function routeKey(method: string, path: string): string {
  return `${method} ${path.replace(/\{(\w+)\}/g, ':$1')}`;
}
