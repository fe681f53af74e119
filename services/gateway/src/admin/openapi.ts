// The admin API's OpenAPI 3.1 document, generated from the route table (route-table.ts) and
// nothing else, so it cannot drift from the routes. docs/admin-api.openapi.json is this
// document as committed; a test keeps the two identical.
import { ADMIN_ROUTES, type AdminParam, type AdminRouteSpec } from './route-table.js';

const ERROR_SCHEMA = {
  type: 'object',
  required: ['error', 'request_id'],
  properties: {
    error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } },
    request_id: { type: 'string' },
  },
};

function parameter(p: AdminParam, where: 'path' | 'query') {
  const scalar = { type: p.type ?? 'string', ...(p.enum ? { enum: [...p.enum] } : {}) };
  return {
    name: p.name,
    in: where,
    required: where === 'path' ? true : p.required === true,
    description: p.description,
    schema: p.repeated ? { type: 'array', items: scalar } : scalar,
    ...(p.repeated ? { style: 'form', explode: true } : {}),
  };
}

function operation(route: AdminRouteSpec) {
  const responses: Record<string, unknown> = {};
  for (const [status, description] of Object.entries(route.responses)) {
    const ok = Number(status) < 300;
    const content: Record<string, unknown> = ok
      ? { 'application/json': { schema: { type: 'object' } } }
      : { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } };
    if (ok && route.streams) content['application/x-ndjson'] = { schema: { type: 'object', description: 'one JSON object per line: {"event":"started"|"running"|"done"|"failed", …}' } };
    responses[status] = { description, content };
  }
  return {
    operationId: `${route.method.toLowerCase()}${route.path.replace(/[{}]/g, '').replace(/(^|[/._-])(\w)/g, (_m, _s: string, c: string) => c.toUpperCase())}`,
    tags: [route.tag],
    summary: route.summary,
    parameters: [...(route.pathParams ?? []).map((p) => parameter(p, 'path')), ...(route.query ?? []).map((p) => parameter(p, 'query'))],
    ...(route.body ? { requestBody: { required: true, description: route.body, content: { 'application/json': { schema: { type: 'object' } } } } } : {}),
    responses,
  };
}

export function adminOpenApi(routes: readonly AdminRouteSpec[] = ADMIN_ROUTES): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = `/admin/api${route.path}`;
    (paths[path] ??= {})[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 's3-orchestrator admin API',
      version: '1',
      description: 'JSON endpoints for operators on the S3 port. Every request is signed with AWS Signature V4 (service s3) by the auth.root credential; anything else is 403.',
    },
    security: [{ sigv4: [] }],
    components: {
      securitySchemes: { sigv4: { type: 'apiKey', in: 'header', name: 'Authorization', description: 'AWS Signature Version 4' } },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}
