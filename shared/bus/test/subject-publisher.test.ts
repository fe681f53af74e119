// NatsSubjectPublisher against the tests' NATS server, on a stream and subjects of this run's own.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { NatsConnection } from '@nats-io/transport-node';
import type { JetStreamManager } from '@nats-io/jetstream';
import { NatsSubjectPublisher } from '../src/index.js';
import { adminConnection, natsUrl } from './support.js';

describe('NatsSubjectPublisher', () => {
  let nc: NatsConnection;
  let jsm: JetStreamManager;
  const id = randomBytes(5).toString('hex');
  const stream = `S3O_PUBLISHER_TEST_${id}`;
  const streamed = `s3o_publisher_test_${id}.streamed`;
  const plain = `s3o_publisher_test_${id}.plain`;
  const message = (subject: string, msgId: string) => ({
    url: natsUrl, subject, body: '{"specversion":"1.0"}', headers: { 'X-S3O-Event-Id': msgId, 'content-type': 'application/json' }, msgId, timeoutMs: 2000,
  });

  before(async () => {
    ({ nc, jsm } = await adminConnection());
    await jsm.streams.add({ name: stream, subjects: [streamed] });
  });
  after(async () => {
    await jsm?.streams.delete(stream).catch(() => undefined);
    await nc?.close();
  });

  test('a subject a stream holds gets a JetStream publish; a re-sent message id is stored once', async () => {
    const publisher = new NatsSubjectPublisher();
    try {
      assert.equal(await publisher.publish(message(streamed, 'ev1:bus')), 'jetstream');
      assert.equal(await publisher.publish(message(streamed, 'ev1:bus')), 'jetstream');
      assert.equal(await publisher.publish(message(streamed, 'ev2:bus')), 'jetstream');
      assert.equal((await jsm.streams.info(stream)).state.messages, 2);
      const first = await jsm.streams.getMessage(stream, { seq: 1 });
      assert.equal(first!.string(), '{"specversion":"1.0"}');
      assert.equal(first!.header.get('X-S3O-Event-Id'), 'ev1:bus');
      assert.equal(first!.header.get('Nats-Msg-Id'), 'ev1:bus');
      assert.equal(first!.header.get('content-type'), 'application/json');
    } finally {
      await publisher.close();
    }
  });

  test('any other subject gets a core publish, flushed before it resolves', async () => {
    const publisher = new NatsSubjectPublisher();
    const sub = nc.subscribe(plain, { max: 1 });
    await nc.flush();
    try {
      assert.equal(await publisher.publish(message(plain, 'ev3:bus')), 'core');
      for await (const m of sub) {
        assert.equal(m.string(), '{"specversion":"1.0"}');
        assert.equal(m.headers?.get('X-S3O-Event-Id'), 'ev3:bus');
      }
    } finally {
      await publisher.close();
    }
  });

  test('an unreachable server rejects; the next publish tries to connect again', async () => {
    const publisher = new NatsSubjectPublisher();
    try {
      const unreachable = { ...message(plain, 'ev4'), url: 'nats://127.0.0.1:1', timeoutMs: 300 };
      await assert.rejects(publisher.publish(unreachable));
      await assert.rejects(publisher.publish(unreachable));
    } finally {
      await publisher.close();
    }
  });
});
