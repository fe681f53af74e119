// The webhook transport against a real HTTP receiver written here. (NATS endpoints publish
// through shared/bus NatsSubjectPublisher, tested there; end to end in e2e/test/notifications.test.ts.)
import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { NotificationEndpointConfig } from '@s3o/config';
import type { NotificationRow } from '@s3o/store';
import { signature } from '../src/index.js';
import { WebhookTransport } from '../src/transports/webhook.js';

/** An endpoint whose deliveries may take as long as a loaded machine needs, unless the test sets its own timeout. */
function endpoint(extra: Partial<NotificationEndpointConfig>): NotificationEndpointConfig {
  return {
    name: 'e', type: 'webhook', url: 'http://127.0.0.1:9', subject: null, events: ['*'], buckets: [], prefix: '', suffix: '',
    format: 's3', secret: null, timeoutMs: 30_000, maxRetries: 0, ...extra,
  };
}

function row(payload: string, eventId = `ev-${randomBytes(4).toString('hex')}`): NotificationRow {
  return {
    id: 1, eventId, endpoint: 'e', objectKey: 'b/k', sequencer: '01', payload, state: 'pending', attempts: 0, nextRetry: 0, lastError: null, createdAt: 0,
  };
}

describe('webhook transport', () => {
  let server: Server;
  let url: string;
  const seen: Array<{ path: string; headers: IncomingHttpHeaders; body: string }> = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        seen.push({ path: req.url!, headers: req.headers, body });
        if (req.url === '/ok') res.writeHead(204).end();
        else if (req.url === '/redirect') res.writeHead(307, { location: '/ok' }).end();
        else if (req.url === '/error') res.writeHead(503).end('try later');
        // '/silent': never answers
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  test('POSTs the stored body with the event id, timestamp and signature; a 2xx is delivered', async () => {
    const transport = new WebhookTransport(() => 1_767_225_600_123);
    const body = '{"Records":[{"eventName":"ObjectCreated:Put"}]}';
    const r = row(body);
    await transport.deliver(endpoint({ url: `${url}/ok`, secret: 'k' }), r);
    const got = seen.at(-1)!;
    assert.equal(got.body, body);
    assert.equal(got.headers['content-type'], 'application/json');
    assert.equal(got.headers['x-s3o-event-id'], r.eventId);
    assert.equal(got.headers['x-s3o-timestamp'], '1767225600');
    assert.equal(got.headers['x-s3o-signature'], signature('k', '1767225600', body));
    assert.equal(signature('k', '1767225600', body), `sha256=${createHmac('sha256', 'k').update(`1767225600.${body}`).digest('hex')}`);
  });

  test('other statuses, redirects and silence are failed attempts with a message saying why', async () => {
    const transport = new WebhookTransport();
    await assert.rejects(transport.deliver(endpoint({ url: `${url}/error` }), row('{}')), /^Error: HTTP 503: try later$/);
    const before = seen.length;
    await assert.rejects(transport.deliver(endpoint({ url: `${url}/redirect` }), row('{}')), /HTTP 307/);
    assert.equal(seen.length, before + 1, 'the redirect is not followed');
    // '/silent' never answers: only the transport's own timer can end this delivery.
    await assert.rejects(transport.deliver(endpoint({ url: `${url}/silent`, timeoutMs: 300 }), row('{}')), /no answer within 300 ms/);
    await assert.rejects(transport.deliver(endpoint({ url: 'http://127.0.0.1:1/' }), row('{}')), /fetch failed/);
  });
});
