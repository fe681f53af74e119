// `s3-orchestrator admin <verb>`: operator commands against a running gateway's admin API
// (docs/admin-api.openapi.json). Address and credential from flags, the environment or the
// configuration (connection.ts); readable tables by default, the API's JSON with --json;
// exit codes in connection.ts EXIT.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { AdminCommandError, AdminSession, CONNECTION_OPTIONS, EXIT, type ConnectionFlags } from './connection.js';
import { JOB_VERBS, runJob, scrubQuery } from './jobs.js';
import { json } from './output.js';
import { isVerifyReport, summariseVerify } from './verify-summary.js';
import { IDENTITY_USAGE, IDENTITY_VERBS, runIdentityCommand } from './identity-commands.js';
import { ROTATE_KEY_USAGE, runRotateKeyCommand } from '../rotate-key.js';
import { isStoredFormCommand, runStoredFormCommand, STORED_FORM_USAGE } from '../stored-form/pass.js';
import { BACKUP_USAGE, runBackupCommand, runRestoreCommand } from '../backup.js';
import { drainView, locationsView, logsView, objectsView, queueView, reloadView, statusView, usageView, workersView } from './views.js';


type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | string[] | undefined>;

interface Verb {
  /** arguments after the verb, for the usage text */
  args: string;
  summary: string;
  options?: Options;
  /** positional arguments: at least `min`, at most `max` (Infinity = any) */
  min?: number;
  max?: number;
  run(session: AdminSession, values: Values, positionals: string[], asJson: boolean): Promise<number>;
}

const out = (text: string): number => {
  process.stdout.write(text);
  return EXIT.ok;
};

/** GET `path` and print it with `view`, or as JSON. */
function show(path: string, view: (body: any) => string, query: (values: Values, positionals: string[]) => Array<[string, string]> = () => []): Verb['run'] {
  return async (session, values, positionals, asJson) => {
    const { body } = await session.call({ method: 'GET', path, query: query(values, positionals) });
    return out(asJson ? json(body) : view(body));
  };
}

const pairs = (entries: Array<[string, unknown]>): Array<[string, string]> =>
  entries.filter((e): e is [string, string] => typeof e[1] === 'string' && e[1] !== '');

/** `bucket/key` or `bucket key`. */
function bucketAndKey(positionals: string[]): [string, string] {
  if (positionals.length === 2) return [positionals[0]!, positionals[1]!];
  const slash = positionals[0]!.indexOf('/');
  if (slash <= 0) throw new AdminCommandError(EXIT.usage, 'name the object as BUCKET/KEY or BUCKET KEY');
  return [positionals[0]!.slice(0, slash), positionals[0]!.slice(slash + 1)];
}

function ids(positionals: string[]): number[] {
  return positionals.map((p) => {
    if (!/^\d+$/.test(p)) throw new AdminCommandError(EXIT.usage, `"${p}" is not an id`);
    return Number(p);
  });
}

const VERBS: Record<string, Verb> = {
  status: { args: '', summary: 'backends, queues, replication backlog and the services running', run: show('/status', statusView) },
  config: { args: '', summary: 'the running configuration (secrets redacted)', run: show('/config', (b) => json(b)) },
  workers: { args: '', summary: "every periodic job's last run, failures and lock holder, in every process", run: show('/workers', workersView) },
  locate: {
    args: 'BUCKET/KEY', summary: 'every copy of one object', min: 1, max: 2,
    run: async (session, _v, positionals, asJson) => {
      const [bucket, key] = bucketAndKey(positionals);
      const { body } = await session.call({ method: 'GET', path: '/object-locations', query: [['bucket', bucket], ['key', key]] });
      return out(asJson ? json(body) : locationsView(body));
    },
  },
  ls: {
    args: 'BUCKET [PREFIX] [--delimiter /] [--limit N] [--after KEY]', summary: 'browse a bucket from the ledger', min: 1, max: 2,
    options: { delimiter: { type: 'string' }, limit: { type: 'string' }, after: { type: 'string' } },
    run: show('/objects', objectsView, (v, p) => pairs([['bucket', p[0]], ['prefix', p[1]], ['delimiter', v['delimiter']], ['limit', v['limit']], ['after', v['after']]])),
  },
  logs: {
    args: '[--level LEVEL] [--since TIME] [--limit N]', summary: "the gateway process's latest log lines",
    options: { level: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' } },
    run: show('/logs', logsView, (v) => pairs([['level', v['level']], ['since', v['since']], ['limit', v['limit']]])),
  },
  'log-level': {
    args: '[LEVEL]', summary: "show, or set until restart, the gateway process's log level", max: 1,
    run: async (session, _v, positionals, asJson) => {
      const { body } = positionals[0]
        ? await session.call({ method: 'PUT', path: '/log-level', json: { level: positionals[0] } })
        : await session.call({ method: 'GET', path: '/log-level' });
      return out(asJson ? json(body) : `${body.level}${body.previous ? ` (was ${body.previous})` : ''}\n`);
    },
  },
  usage: {
    args: '[--period YYYY-MM|all]', summary: 'monthly requests, egress and ingress per backend against its limits',
    options: { period: { type: 'string' } },
    run: show('/usage', usageView, (v) => pairs([['period', v['period']]])),
  },
  drain: {
    args: 'BACKEND', summary: 'start draining a backend (its copies move elsewhere)', min: 1, max: 1,
    run: async (session, _v, [name], asJson) => {
      const { body } = await session.call({ method: 'POST', path: `/backends/${encodeURIComponent(name!)}/drain` });
      return out(asJson ? json(body) : drainView(body));
    },
  },
  'drain-status': {
    args: 'BACKEND', summary: "a backend's latest drain", min: 1, max: 1,
    run: async (session, _v, [name], asJson) => {
      const { body } = await session.call({ method: 'GET', path: `/backends/${encodeURIComponent(name!)}/drain` });
      return out(asJson ? json(body) : drainView(body));
    },
  },
  'drain-cancel': {
    args: 'BACKEND', summary: 'cancel a drain, or return a drained backend to service', min: 1, max: 1,
    run: async (session, _v, [name], asJson) => {
      const { body } = await session.call({ method: 'DELETE', path: `/backends/${encodeURIComponent(name!)}/drain` });
      return out(asJson ? json(body) : drainView(body));
    },
  },
  'remove-backend': {
    args: 'BACKEND [--purge [--yes]]', summary: 'forget a backend that holds nothing; --purge drops its records (asks first unless --yes)', min: 1, max: 1,
    options: { purge: { type: 'boolean', default: false }, yes: { type: 'boolean', default: false } },
    run: async (session, values, [name], asJson) => {
      const path = `/backends/${encodeURIComponent(name!)}`;
      if (!values['purge']) {
        const { status, body } = await session.call({ method: 'DELETE', path }, [409]);
        if (status === 409) {
          process.stderr.write(`${body.error.message}\n`);
          if (asJson) out(json(body));
          return EXIT.refused;
        }
        return out(asJson ? json(body) : `${name} removed\n`);
      }
      const first = await session.call({ method: 'DELETE', path, query: [['purge', 'true']] }, [409]);
      if (first.status !== 409 || !first.body.confirm) return out(json(first.body));
      if (!values['yes']) {
        process.stderr.write(`purging ${name} drops ${first.body.copies} copy records; ${first.body.objects_without_other_copy} objects have no other copy and will be lost.\n` +
          'Repeat with --yes to do it.\n');
        if (asJson) out(json(first.body));
        return EXIT.refused;
      }
      const { body } = await session.call({ method: 'DELETE', path, query: [['purge', 'true'], ['confirm', first.body.confirm]] });
      return out(asJson ? json(body) : `${name} purged: ${body.copies_dropped} copy records dropped, ${body.lost.length} objects lost\n`);
    },
  },
  'cleanup-queue': {
    args: '[--limit N] [--after ID]', summary: 'byte deletions owed', options: { limit: { type: 'string' }, after: { type: 'string' } },
    run: show('/cleanup-queue', (b) => queueView(b, 'queued deletions'), (v) => pairs([['limit', v['limit']], ['after', v['after']]])),
  },
  dlq: {
    args: '[--limit N] [--after ID]', summary: 'deletions the cleanup service gave up on', options: { limit: { type: 'string' }, after: { type: 'string' } },
    run: show('/cleanup-dlq', (b) => queueView(b, 'dead letters'), (v) => pairs([['limit', v['limit']], ['after', v['after']]])),
  },
  requeue: {
    args: 'ID... | --all', summary: 'move dead letters back to the cleanup queue', max: Infinity, options: { all: { type: 'boolean', default: false } },
    run: async (session, values, positionals, asJson) => {
      if (!values['all'] && positionals.length === 0) throw new AdminCommandError(EXIT.usage, 'requeue: name the ids, or --all');
      const { body } = await session.call({ method: 'POST', path: '/cleanup-dlq/requeue', json: values['all'] ? {} : { ids: ids(positionals) } });
      return out(asJson ? json(body) : `requeued ${body.requeued}\n`);
    },
  },
  discard: {
    args: 'ID...', summary: 'forget dead letters you settled yourself (releases their bytes)', min: 1, max: Infinity,
    run: async (session, _v, positionals, asJson) => {
      const { body } = await session.call({ method: 'POST', path: '/cleanup-dlq/discard', json: { ids: ids(positionals) } });
      return out(asJson ? json(body) : `discarded ${body.discarded}\n`);
    },
  },
  'lost-objects': {
    args: '[--limit N] [--after KEY]', summary: 'objects with no copy left', options: { limit: { type: 'string' }, after: { type: 'string' } },
    run: show('/lost-objects', (b) => queueView(b, 'lost objects'), (v) => pairs([['limit', v['limit']], ['after', v['after']]])),
  },
  'dead-notifications': {
    args: '[--limit N] [--after ID]', summary: 'notification deliveries given up on', options: { limit: { type: 'string' }, after: { type: 'string' } },
    run: show('/notifications/dead', (b) => queueView(b, 'dead notifications'), (v) => pairs([['limit', v['limit']], ['after', v['after']]])),
  },
  verify: {
    args: '[--max-keys N] [--backend NAME]...', summary: 'compare the ledger with the backends; exit 1 when anything is leaked or missing',
    options: { 'max-keys': { type: 'string' }, backend: { type: 'string', multiple: true } },
    run: async (session, values, _p, asJson) => {
      const query: Array<[string, string]> = pairs([['max_keys', values['max-keys']]]);
      for (const name of (values['backend'] as string[] | undefined) ?? []) query.push(['backend', name]);
      const { body } = await session.call({ method: 'GET', path: '/verify', query });
      if (!isVerifyReport(body)) throw new AdminCommandError(EXIT.unavailable, `verify: unexpected answer ${JSON.stringify(body).slice(0, 200)}`);
      process.stdout.write(asJson ? json(body) : summariseVerify(body));
      return body.ok ? EXIT.ok : EXIT.problems;
    },
  },
  reload: {
    args: '[--all]', summary: 're-read the configuration file in the gateway process, or with --all in every process; exit 1 when refused',
    options: { all: { type: 'boolean', default: false } },
    run: async (session, values, _p, asJson) => {
      const { body } = await session.call({ method: 'POST', path: '/reload', query: values['all'] ? [['all', 'true']] : [] }, [422]);
      process.stdout.write(asJson ? json(body) : reloadView(body));
      return body.ok ? EXIT.ok : EXIT.problems;
    },
  },
  'reload-status': {
    args: '', summary: "the gateway process's last configuration reload",
    run: show('/reload-status', (b) => (b.status ? reloadView(b.status) : 'no reload yet\n')),
  },
  openapi: { args: '', summary: 'the admin API\'s OpenAPI document', run: show('/openapi.json', (b) => json(b)) },
};

for (const job of JOB_VERBS) {
  VERBS[job] = {
    args: '', summary: `run one ${job} pass now, with progress (refused while a scheduled pass runs)`,
    run: (session, _v, _p, asJson) => runJob(session, job, asJson),
  };
}
VERBS['scrub'] = {
  args: '[--key BUCKET/KEY] [--backend NAME]',
  summary: 'run one scrub pass now, with progress: every due copy, or (whatever their age) one object\'s copies and/or only those on one backend',
  options: { key: { type: 'string' }, backend: { type: 'string' } },
  run: (session, values, _p, asJson) => {
    const query = scrubQuery(values['key'] as string | undefined, values['backend'] as string | undefined);
    if (query === null) throw new AdminCommandError(EXIT.usage, 'scrub --key: name the object as BUCKET/KEY');
    return runJob(session, 'scrub', asJson, process.stdout, process.stderr, query);
  },
};

export const ADMIN_USAGE = `    admin VERB [--addr HOST:PORT] [--access-key-id ID --secret-access-key SECRET] [--config FILE] [--json]
      The gateway's address and the admin credential come from the flags, else from
      S3O_ADMIN_ADDR, S3O_ACCESS_KEY_ID and S3O_SECRET_ACCESS_KEY, else from the config file
      (server.listen_addr, auth.root). Exit codes: 0 ok, 1 problems found or the pass failed,
      2 bad usage, 3 refused by the gateway (not found, busy, conflict, denied), 4 unreachable
      or failed (5xx). Verbs:
${Object.entries(VERBS).map(([name, v]) => `      ${`${name} ${v.args}`.trimEnd()}\n          ${v.summary}`).join('\n')}
${IDENTITY_USAGE}${ROTATE_KEY_USAGE}${STORED_FORM_USAGE}${BACKUP_USAGE}`;

export async function runAdminCommand(args: string[]): Promise<number> {
  const [verbName, ...rest] = args;
  if (!verbName || verbName === '--help' || verbName === '-h' || verbName === 'help') {
    (verbName ? process.stdout : process.stderr).write(`usage:\n${ADMIN_USAGE}`);
    return verbName ? EXIT.ok : EXIT.usage;
  }
  if (IDENTITY_VERBS.has(verbName)) return runIdentityCommand(verbName, rest);
  // rotate-key works on the ledger itself (metadata only), not through a gateway.
  if (verbName === 'rotate-key') return runRotateKeyCommand(rest);
  // So do the stored-form passes: they read and write the backends themselves, like placement.
  if (isStoredFormCommand(verbName)) return runStoredFormCommand(verbName, rest);
  // backup and restore work on the SQLite ledger file itself (backup.ts says why).
  if (verbName === 'backup') return runBackupCommand(rest);
  if (verbName === 'restore') return runRestoreCommand(rest);
  const verb = VERBS[verbName];
  if (!verb) {
    process.stderr.write(`unknown admin command "${verbName}"\n\nusage:\n${ADMIN_USAGE}`);
    return EXIT.usage;
  }
  try {
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: { ...CONNECTION_OPTIONS, ...verb.options }, allowPositionals: true, strict: true });
    } catch (err) {
      throw new AdminCommandError(EXIT.usage, err instanceof Error ? err.message : String(err));
    }
    const { values, positionals } = parsed;
    if (positionals.length < (verb.min ?? 0) || positionals.length > (verb.max ?? 0)) {
      throw new AdminCommandError(EXIT.usage, `usage: s3-orchestrator admin ${verbName} ${verb.args}`.trimEnd());
    }
    const session = await AdminSession.open(values as ConnectionFlags);
    return await verb.run(session, values as Values, positionals, values.json === true);
  } catch (err) {
    if (!(err instanceof AdminCommandError)) throw err;
    process.stderr.write(`admin ${verbName}: ${err.message}\n`);
    return err.exitCode;
  }
}

