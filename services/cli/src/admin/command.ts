// `s3-orchestrator admin <verb>`: operator commands that call a running gateway's admin API,
// signed with the configuration's `auth.root` credential.
import { parseArgs } from 'node:util';
import type { Config } from '@s3o/config';
import { loadConfigFile } from '../config-file.js';
import { callAdminApi } from './client.js';
import { isVerifyReport, summariseVerify } from './verify-summary.js';
import { ROTATE_KEY_USAGE, runRotateKeyCommand } from '../rotate-key.js';

export const ADMIN_USAGE = `    admin verify --config FILE [--url URL] [--max-keys N] [--backend NAME]... [--json]
               compare the ledger with what the backends hold; exit 0 when nothing
               is leaked or missing, 1 otherwise. URL defaults to server.listen_addr.
${ROTATE_KEY_USAGE}`;

/** The gateway's URL from `server.listen_addr`: a wildcard address is reached on loopback. */
export function gatewayUrlOf(config: Config): string | null {
  const { host, port } = config.server;
  if (port === 0) return null;
  const reachable = host === '' || host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

export async function runAdminCommand(args: string[]): Promise<number> {
  const [verb, ...rest] = args;
  // rotate-key works on the ledger itself (metadata only), not through a gateway.
  if (verb === 'rotate-key') return runRotateKeyCommand(rest);
  if (verb !== 'verify') {
    process.stderr.write(`${verb ? `unknown admin command "${verb}"` : 'admin: a command is required'}\n\nusage:\n${ADMIN_USAGE}`);
    return 1;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      url: { type: 'string' },
      'max-keys': { type: 'string' },
      backend: { type: 'string', multiple: true },
      json: { type: 'boolean', default: false },
    },
    allowPositionals: false,
  });
  if (!values.config) {
    process.stderr.write(`admin verify: --config FILE is required\n\nusage:\n${ADMIN_USAGE}`);
    return 1;
  }
  const loaded = await loadConfigFile(values.config);
  if (!loaded) return 1;
  const { config } = loaded;
  const root = config.auth.root;
  if (!root) {
    process.stderr.write(`admin verify: ${values.config} has no auth.root credential; the admin API needs it\n`);
    return 1;
  }
  const url = values.url ?? gatewayUrlOf(config);
  if (!url) {
    process.stderr.write('admin verify: server.listen_addr has port 0; pass the gateway\'s --url\n');
    return 1;
  }
  const query: Array<[string, string]> = [];
  if (values['max-keys'] !== undefined) query.push(['max_keys', values['max-keys']]);
  for (const name of values.backend ?? []) query.push(['backend', name]);

  const answer = await callAdminApi(url, root, { method: 'GET', path: '/verify', query });
  if (answer.status !== 200 || !isVerifyReport(answer.body)) {
    process.stderr.write(`admin verify: ${url} answered ${answer.status}: ${JSON.stringify(answer.body)}\n`);
    return 1;
  }
  process.stdout.write(values.json ? `${JSON.stringify(answer.body, null, 2)}\n` : summariseVerify(answer.body));
  return answer.body.ok ? 0 : 1;
}
