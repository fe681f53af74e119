// `s3-orchestrator admin user|credential|grant|bucket …`: provisioning through a running
// gateway's admin API (docs/architecture.md §6 "Authorisation"). Human output by default,
// `--json` for scripts; a minted secret is printed once and never again. Address and signing
// key as for every admin verb (connection.ts): flags, S3O_ADMIN_ADDR / S3O_ACCESS_KEY_ID /
// S3O_SECRET_ACCESS_KEY (an operator with control-plane grants of their own), or the config.
import { parseArgs } from 'node:util';
import type { AdminAnswer, AdminCall } from './client.js';
import { AdminCommandError, AdminSession, CONNECTION_OPTIONS, EXIT, type ConnectionFlags } from './connection.js';

export const IDENTITY_VERBS: ReadonlySet<string> = new Set(['user', 'credential', 'grant', 'bucket']);

export const IDENTITY_USAGE = `    admin user list | create NAME | rename NAME NEW_NAME | delete NAME
    admin credential issue USER [--key-id ID --secret SECRET] | revoke ACCESS_KEY_ID
    admin grant add|set USER bucket|backend|orchestrator NAME|* PERMISSION[,PERMISSION…] | remove USER KIND NAME
    admin bucket list | create NAME | delete NAME
          provisioning; address and admin credential as for every verb (see above); --json for scripts.
          credential issue registers the given key and secret, or mints a pair shown this once.
`;

type Json = Record<string, any>;

interface Request {
  call: AdminCall;
  /** the human line(s) for a successful answer */
  show: (body: Json) => string;
}

const enc = encodeURIComponent;

class UsageError extends Error {}

function need(args: string[], count: number, shape: string): string[] {
  if (args.length !== count) throw new UsageError(`expected: ${shape}`);
  return args;
}

/** What one command line asks of the admin API. */
function requestOf(noun: string, args: string[], flags: { 'key-id'?: string; secret?: string }): Request {
  const [verb, ...rest] = args;
  switch (`${noun} ${verb ?? ''}`) {
    case 'user list':
      need(rest, 0, 'user list');
      return {
        call: { method: 'GET', path: '/users' },
        show: (b) => (b.users as Json[]).map((u) =>
          `${u.name}\n` +
          (u.credentials as Json[]).map((c) => `  key   ${c.access_key_id}${c.revoked_at ? `  revoked ${c.revoked_at}` : ''}${c.last_used_at ? `  last used ${c.last_used_at}` : ''}\n`).join('') +
          (u.grants as Json[]).map((g) => `  grant ${g.kind} ${g.name}: ${(g.permissions as string[]).join(',')}\n`).join('')).join('') || 'no users\n',
      };
    case 'user create': {
      const [name] = need(rest, 1, 'user create NAME');
      return { call: { method: 'POST', path: '/users', json: { name } }, show: (b) => `user ${b.name} created\n` };
    }
    case 'user rename': {
      const [name, newName] = need(rest, 2, 'user rename NAME NEW_NAME');
      return { call: { method: 'POST', path: `/users/${enc(name!)}/rename`, json: { new_name: newName } }, show: (b) => `user ${name} is now ${b.name}\n` };
    }
    case 'user delete': {
      const [name] = need(rest, 1, 'user delete NAME');
      return { call: { method: 'DELETE', path: `/users/${enc(name!)}` }, show: () => `user ${name} deleted\n` };
    }
    case 'credential issue': {
      const [user] = need(rest, 1, 'credential issue USER');
      const json: Json = {};
      if (flags['key-id'] !== undefined) json.access_key_id = flags['key-id'];
      if (flags.secret !== undefined) json.secret_access_key = flags.secret;
      return {
        call: { method: 'POST', path: `/users/${enc(user!)}/credentials`, json },
        show: (b) => `credential issued to ${b.user}\n  access key id      ${b.access_key_id}\n  secret access key  ${b.secret_access_key}\n` +
          'The secret is shown this once; store it now.\n',
      };
    }
    case 'credential revoke': {
      const [id] = need(rest, 1, 'credential revoke ACCESS_KEY_ID');
      return { call: { method: 'DELETE', path: `/credentials/${enc(id!)}` }, show: (b) => `credential ${b.access_key_id} revoked at ${b.revoked_at}\n` };
    }
    case 'grant add':
    case 'grant set': {
      const [user, kind, name, permissions] = need(rest, 4, `grant ${verb} USER KIND NAME PERMISSION[,PERMISSION…]`);
      return {
        call: { method: verb === 'add' ? 'POST' : 'PUT', path: `/users/${enc(user!)}/grants`, json: { kind, name, permissions: permissions!.split(',').filter((p) => p !== '') } },
        show: (b) => `${b.user} holds ${(b.permissions as string[]).join(',')} on ${b.kind} ${b.name}\n`,
      };
    }
    case 'grant remove': {
      const [user, kind, name] = need(rest, 3, 'grant remove USER KIND NAME');
      return { call: { method: 'DELETE', path: `/users/${enc(user!)}/grants/${enc(kind!)}/${enc(name!)}` }, show: () => `grant of ${user} on ${kind} ${name} removed\n` };
    }
    case 'bucket list':
      need(rest, 0, 'bucket list');
      return {
        call: { method: 'GET', path: '/buckets' },
        show: (b) => (b.buckets as Json[]).map((x) => `${x.name}  ${x.source === 'config' ? 'config file' : `created ${x.created_at}`}\n`).join(''),
      };
    case 'bucket create': {
      const [name] = need(rest, 1, 'bucket create NAME');
      return { call: { method: 'POST', path: '/buckets', json: { name } }, show: (b) => `bucket ${b.name} created\n` };
    }
    case 'bucket delete': {
      const [name] = need(rest, 1, 'bucket delete NAME');
      return { call: { method: 'DELETE', path: `/buckets/${enc(name!)}` }, show: () => `bucket ${name} deleted\n` };
    }
    default:
      throw new UsageError(`unknown command "${noun} ${verb ?? ''}"`);
  }
}

function errorLine(answer: AdminAnswer): string {
  const error = (answer.body as Json | null)?.error as Json | undefined;
  if (!error) return `answered ${answer.status}`;
  return `${error.code} (${answer.status}): ${error.message}${error.field ? ` [field: ${error.field}]` : ''}`;
}

/** Statuses whose JSON error this command prints itself (with the field it names). */
const REFUSALS = Array.from({ length: 100 }, (_, i) => 400 + i);

export async function runIdentityCommand(noun: string, args: string[]): Promise<number> {
  let request: Request;
  let values: ConnectionFlags & { json?: boolean; 'key-id'?: string; secret?: string };
  try {
    const parsed = parseArgs({
      args,
      options: { ...CONNECTION_OPTIONS, 'key-id': { type: 'string' }, secret: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    values = parsed.values;
    request = requestOf(noun, parsed.positionals, values);
  } catch (err) {
    process.stderr.write(`admin ${noun}: ${err instanceof Error ? err.message : String(err)}\n\nusage:\n${IDENTITY_USAGE}`);
    return EXIT.usage;
  }
  try {
    const session = await AdminSession.open(values);
    const answer = await session.call(request.call, REFUSALS);
    const ok = answer.status >= 200 && answer.status < 300;
    if (values.json) process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
    else if (ok) process.stdout.write(request.show(answer.body as Json));
    if (!ok) process.stderr.write(`admin ${noun}: ${errorLine(answer)}\n`);
    return ok ? EXIT.ok : EXIT.refused;
  } catch (err) {
    if (!(err instanceof AdminCommandError)) throw err;
    process.stderr.write(`admin ${noun}: ${err.message}\n`);
    return err.exitCode;
  }
}
