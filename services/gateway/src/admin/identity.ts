// Provisioning through the admin API (docs/architecture.md §6 "Authorisation"): users, their
// credentials and grants, and stored buckets. JSON in and out; a secret appears once, in the
// answer that issued it, and never in a listing or a log line. Entries of the config file
// cannot be changed here (403 naming the file). Every change is one ledger transaction that
// appends identity.changed; this gateway rebuilds its registry before answering, the others on
// the event.
//   GET    /users                                  users with credentials (no secrets) and grants
//   POST   /users {name}                           DELETE /users/{name}
//   POST   /users/{name}/rename {new_name}
//   POST   /users/{name}/credentials [{access_key_id, secret_access_key}]   issue (minted when not supplied)
//   DELETE /credentials/{access_key_id}            revoke
//   POST   /users/{name}/grants {kind, name, permissions[]}   add to a grant;  PUT: set it
//   DELETE /users/{name}/grants/{kind}/{resource}
//   GET    /buckets   POST /buckets {name}   DELETE /buckets/{name}
import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bucketNameProblem } from '@s3o/config';
import { CONFIG_USER_PREFIX, plainSealer, type IdentityRefresher } from '@s3o/identity';
import { IdentityError, RESOURCE_KINDS, type ConfiguredResources, type ResourceKind } from '@s3o/store';
import type { GatewayDeps } from '../context.js';
import type { AdminAuth } from './auth.js';
import { AdminError, sendJson } from './respond.js';

/** What a supplied secret may be: AWS's secrets are 40 base64 characters; any 16–128 of that alphabet are taken. */
const SECRET = /^[A-Za-z0-9/+=]{16,128}$/;
const ACCESS_KEY_BYTES = 10;
const SECRET_BYTES = 30;

const STATUS = { invalid: 400, 'not-found': 404, conflict: 409 } as const;

function fromIdentityError(err: unknown): unknown {
  if (!(err instanceof IdentityError)) return err;
  return new AdminError(STATUS[err.reason], err.code, err.message, err.field);
}

/** The request body as a JSON object; 400 naming the body when it is not one. */
async function jsonBody(auth: AdminAuth, request: FastifyRequest): Promise<Record<string, unknown>> {
  const raw = (await auth.body(request)).toString('utf8');
  let value: unknown;
  try {
    value = raw.trim() === '' ? {} : JSON.parse(raw);
  } catch {
    throw new AdminError(400, 'InvalidArgument', 'the body is not JSON', 'body');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new AdminError(400, 'InvalidArgument', 'the body must be a JSON object', 'body');
  return value as Record<string, unknown>;
}

function text(body: Record<string, unknown>, field: string, required: true): string;
function text(body: Record<string, unknown>, field: string, required: false): string | undefined;
function text(body: Record<string, unknown>, field: string, required: boolean): string | undefined {
  const value = body[field];
  if (value === undefined && !required) return undefined;
  if (typeof value !== 'string' || value === '') throw new AdminError(400, 'InvalidArgument', `${field} must be a non-empty string`, field);
  return value;
}

function permissionsOf(body: Record<string, unknown>): string[] {
  const value = body.permissions;
  if (!Array.isArray(value) || !value.every((p) => typeof p === 'string')) {
    throw new AdminError(400, 'InvalidArgument', 'permissions must be a list of permission names', 'permissions');
  }
  return value as string[];
}

function kindOf(value: string): ResourceKind {
  if (!(RESOURCE_KINDS as readonly string[]).includes(value)) {
    throw new AdminError(400, 'InvalidArgument', `kind is one of ${RESOURCE_KINDS.join(', ')}`, 'kind');
  }
  return value as ResourceKind;
}

function mint(bytes: number, encoding: 'hex' | 'base64'): string {
  return encoding === 'hex' ? randomBytes(bytes).toString('hex').toUpperCase() : randomBytes(bytes).toString('base64').replace(/[^A-Za-z0-9]/g, 'A');
}

export function registerIdentityRoutes(app: FastifyInstance, deps: GatewayDeps, auth: AdminAuth, identity: IdentityRefresher): void {
  const store = deps.ledger.identity;
  const sealer = deps.sealer ?? plainSealer;
  const configFile = deps.configPath ?? 'the config file';
  const configured = (): ConfiguredResources => ({
    buckets: new Set(deps.config.buckets.map((b) => b.name)),
    backends: new Set(deps.config.backends.map((b) => b.name)),
  });
  const refuseConfigUser = (name: string, field: string) => {
    if (name.startsWith(CONFIG_USER_PREFIX)) throw new AdminError(403, 'AccessDenied', `${name} is defined in ${configFile}; change it there`, field);
  };
  /** Runs a change, then rebuilds this gateway's registry so its next request sees it. */
  const change = async <T>(what: () => Promise<T>): Promise<T> => {
    try {
      return await what();
    } catch (err) {
      throw fromIdentityError(err);
    } finally {
      await identity.refresh();
    }
  };
  const audit = (request: FastifyRequest, msg: string, facts: object) =>
    deps.logger.info({ ...facts, by: auth.userOf(request), requestId: request.id }, msg);

  app.get('/users', async (_request, reply) => {
    const snap = await store.snapshot();
    const users = snap.users.map((u) => ({
      name: u.name,
      created_at: new Date(u.createdAt).toISOString(),
      credentials: snap.credentials.filter((c) => c.user === u.name).map((c) => ({
        access_key_id: c.accessKeyId,
        created_at: new Date(c.createdAt).toISOString(),
        last_used_at: c.lastUsedAt === null ? null : new Date(c.lastUsedAt).toISOString(),
        revoked_at: c.revokedAt === null ? null : new Date(c.revokedAt).toISOString(),
      })),
      grants: snap.grants.filter((g) => g.user === u.name).map((g) => ({ kind: g.kind, name: g.name, permissions: g.permissions })),
    }));
    return sendJson(reply, 200, { users });
  });

  app.post('/users', async (request, reply) => {
    const name = text(await jsonBody(auth, request), 'name', true);
    refuseConfigUser(name, 'name');
    const user = await change(() => store.createUser(name));
    audit(request, 'user created', { user: name });
    return sendJson(reply, 201, { name: user.name, created_at: new Date(user.createdAt).toISOString() });
  });

  app.post<{ Params: { name: string } }>('/users/:name/rename', async (request, reply) => {
    refuseConfigUser(request.params.name, 'name');
    const newName = text(await jsonBody(auth, request), 'new_name', true);
    refuseConfigUser(newName, 'new_name');
    const user = await change(() => store.renameUser(request.params.name, newName));
    audit(request, 'user renamed', { user: request.params.name, newName });
    return sendJson(reply, 200, { name: user.name });
  });

  app.delete<{ Params: { name: string } }>('/users/:name', async (request, reply) => {
    refuseConfigUser(request.params.name, 'name');
    await change(() => store.deleteUser(request.params.name));
    audit(request, 'user deleted', { user: request.params.name });
    return sendJson(reply, 200, { deleted: request.params.name });
  });

  app.post<{ Params: { name: string } }>('/users/:name/credentials', async (request, reply) => {
    refuseConfigUser(request.params.name, 'user');
    const body = await jsonBody(auth, request);
    const accessKeyId = text(body, 'access_key_id', false) ?? `S3O${mint(ACCESS_KEY_BYTES, 'hex')}`;
    const supplied = text(body, 'secret_access_key', false);
    if (supplied !== undefined && !SECRET.test(supplied)) {
      throw new AdminError(400, 'InvalidArgument', 'secret_access_key must be 16-128 characters of A-Z a-z 0-9 / + =', 'secret_access_key');
    }
    if (identity.registry.holder(accessKeyId)?.source === 'config') {
      throw new AdminError(409, 'Conflict', `access key id ${accessKeyId} is defined in ${configFile}`, 'access_key_id');
    }
    const secret = supplied ?? mint(SECRET_BYTES, 'base64');
    const sealedSecret = await sealer.seal(secret);
    const credential = await change(() => store.addCredential({ user: request.params.name, accessKeyId, sealedSecret }));
    audit(request, 'credential issued', { user: request.params.name, accessKeyId });
    // The one time the secret leaves the gateway.
    return sendJson(reply, 201, {
      user: credential.user, access_key_id: credential.accessKeyId, secret_access_key: secret, created_at: new Date(credential.createdAt).toISOString(),
    });
  });

  app.delete<{ Params: { id: string } }>('/credentials/:id', async (request, reply) => {
    if (identity.registry.holder(request.params.id)?.source === 'config') {
      throw new AdminError(403, 'AccessDenied', `access key id ${request.params.id} is defined in ${configFile}; remove it there`, 'access_key_id');
    }
    const credential = await change(() => store.revokeCredential(request.params.id));
    audit(request, 'credential revoked', { user: credential.user, accessKeyId: credential.accessKeyId });
    return sendJson(reply, 200, { access_key_id: credential.accessKeyId, revoked_at: new Date(credential.revokedAt!).toISOString() });
  });

  const putGrant = (mode: 'add' | 'set') => async (request: FastifyRequest<{ Params: { name: string } }>, reply: import('fastify').FastifyReply) => {
    refuseConfigUser(request.params.name, 'user');
    const body = await jsonBody(auth, request);
    const kind = kindOf(text(body, 'kind', true));
    const name = text(body, 'name', true);
    const permissions = permissionsOf(body);
    const grant = await change(() => store.putGrant({ user: request.params.name, kind, name, permissions, mode }, configured()));
    audit(request, 'grant changed', { user: grant.user, kind, name, permissions: grant.permissions });
    return sendJson(reply, 200, { user: grant.user, kind: grant.kind, name: grant.name, permissions: grant.permissions });
  };
  app.post<{ Params: { name: string } }>('/users/:name/grants', putGrant('add'));
  app.put<{ Params: { name: string } }>('/users/:name/grants', putGrant('set'));

  app.delete<{ Params: { name: string; kind: string; resource: string } }>('/users/:name/grants/:kind/:resource', async (request, reply) => {
    refuseConfigUser(request.params.name, 'user');
    const kind = kindOf(request.params.kind);
    const removed = await change(() => store.removeGrant(request.params.name, kind, request.params.resource));
    if (!removed) throw new AdminError(404, 'NotFound', `${request.params.name} holds no grant on ${kind} ${request.params.resource}`, 'resource');
    audit(request, 'grant removed', { user: request.params.name, kind, name: request.params.resource });
    return sendJson(reply, 200, { removed: true });
  });

  app.get('/buckets', async (_request, reply) => {
    const registry = identity.registry;
    const buckets = registry.bucketNames().map((name) => {
      const created = registry.bucketCreatedAt(name);
      return { name, source: created === null ? 'config' : 'ledger', created_at: created === null ? null : new Date(created).toISOString() };
    });
    return sendJson(reply, 200, { buckets });
  });

  app.post('/buckets', async (request, reply) => {
    const name = text(await jsonBody(auth, request), 'name', true);
    const problem = bucketNameProblem(name);
    if (problem !== null) throw new AdminError(400, 'InvalidBucketName', problem, 'name');
    if (configured().buckets.has(name)) throw new AdminError(409, 'BucketAlreadyExists', `bucket ${name} is defined in ${configFile}`, 'name');
    const bucket = await change(() => store.createBucket(name, configured()));
    audit(request, 'bucket created', { bucket: name });
    return sendJson(reply, 201, { name: bucket.name, created_at: new Date(bucket.createdAt).toISOString() });
  });

  app.delete<{ Params: { name: string } }>('/buckets/:name', async (request, reply) => {
    const name = request.params.name;
    if (configured().buckets.has(name)) throw new AdminError(403, 'AccessDenied', `bucket ${name} is defined in ${configFile}; remove it there`, 'name');
    await change(() => store.deleteBucket(name));
    audit(request, 'bucket deleted', { bucket: name });
    return sendJson(reply, 200, { deleted: name });
  });
}
