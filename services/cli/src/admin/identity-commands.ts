// `s3-orchestrator admin user|credential|grant|bucket …`: provisioning through a running
// gateway's admin API (docs/architecture.md §6 "Authorisation"). Human output by default,
// `--json` for scripts; a minted secret is printed once and never again. Signed with the
// config file's `auth.root`, or with the key in S3O_ADMIN_ACCESS_KEY_ID /
// S3O_ADMIN_SECRET_ACCESS_KEY (an operator with control-plane grants of their own).
import { parseArgs } from 'node:util';
import { loadConfigFile } from '../config-file.js';
import { callAdminApi, type AdminAnswer, type AdminCall, type AdminCredential } from './client.js';
import { gatewayUrlOf } from './command.js';

export const IDENTITY_VERBS: ReadonlySet<string> = new Set(['user', 'credential', 'grant', 'bucket']);

export const IDENTITY_USAGE = `    admin user list | create NAME | rename NAME NEW_NAME | delete NAME
    admin credential issue USER [--access-key-id ID --secret-access-key SECRET] | revoke ACCESS_KEY_ID
    admin grant add|set USER bucket|backend|orchestrator NAME|* PERMISSION[,PERMISSION…] | remove USER KIND NAME
    admin bucket list | create NAME | delete NAME
               provisioning; each takes --config FILE [--url URL] [--json]. Signed with auth.root,
               or with S3O_ADMIN_ACCESS_KEY_ID / S3O_ADMIN_SECRET_ACCESS_KEY when set.
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
function requestOf(noun: string, args: string[], flags: { 'access-key-id'?: string; 'secret-access-key'?: string }): Request {
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
      if (flags['access-key-id'] !== undefined) json.access_key_id = flags['access-key-id'];
      if (flags['secret-access-key'] !== undefined) json.secret_access_key = flags['secret-access-key'];
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

function credentialOf(root: AdminCredential | null): AdminCredential | null {
  const id = process.env.S3O_ADMIN_ACCESS_KEY_ID;
  const secret = process.env.S3O_ADMIN_SECRET_ACCESS_KEY;
  if (id && secret) return { accessKeyId: id, secretAccessKey: secret };
  return root;
}

function errorLine(answer: AdminAnswer): string {
  const error = (answer.body as Json | null)?.error as Json | undefined;
  if (!error) return `answered ${answer.status}`;
  return `${error.code} (${answer.status}): ${error.message}${error.field ? ` [field: ${error.field}]` : ''}`;
}

export async function runIdentityCommand(noun: string, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: {
      config: { type: 'string', short: 'c' },
      url: { type: 'string' },
      json: { type: 'boolean', default: false },
      'access-key-id': { type: 'string' },
      'secret-access-key': { type: 'string' },
    },
    allowPositionals: true,
  });
  let request: Request;
  try {
    request = requestOf(noun, positionals, values);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`admin ${noun}: ${err.message}\n\nusage:\n${IDENTITY_USAGE}`);
    return 1;
  }
  if (!values.config) {
    process.stderr.write(`admin ${noun}: --config FILE is required\n\nusage:\n${IDENTITY_USAGE}`);
    return 1;
  }
  const loaded = await loadConfigFile(values.config);
  if (!loaded) return 1;
  const credential = credentialOf(loaded.config.auth.root);
  if (!credential) {
    process.stderr.write(`admin ${noun}: ${values.config} has no auth.root and S3O_ADMIN_ACCESS_KEY_ID is not set; the admin API needs a key\n`);
    return 1;
  }
  const url = values.url ?? gatewayUrlOf(loaded.config);
  if (!url) {
    process.stderr.write(`admin ${noun}: server.listen_addr has port 0; pass the gateway's --url\n`);
    return 1;
  }
  const answer = await callAdminApi(url, credential, request.call, 60_000);
  const ok = answer.status >= 200 && answer.status < 300;
  if (values.json) process.stdout.write(`${JSON.stringify(answer.body, null, 2)}\n`);
  else if (ok) process.stdout.write(request.show(answer.body as Json));
  if (!ok) process.stderr.write(`admin ${noun}: ${errorLine(answer)}\n`);
  return ok ? 0 : 1;
}
