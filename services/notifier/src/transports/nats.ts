// NATS endpoints: the stored body published to the endpoint's subject (shared/bus
// NatsSubjectPublisher: JetStream publish when a stream holds the subject, with Nats-Msg-Id
// "<event id>:<endpoint>" so the stream drops a re-sent copy; else core publish + flush),
// with the same headers a webhook gets.
import { NatsSubjectPublisher } from '@s3o/bus';
import type { NotificationEndpointConfig } from '@s3o/config';
import type { NotificationRow } from '@s3o/store';
import { contentTypeOf } from '../payload.js';
import { deliveryHeaders } from '../sign.js';
import type { Transport } from './types.js';

export class NatsTransport implements Transport {
  private readonly publisher: NatsSubjectPublisher;

  constructor(private readonly clock: () => number = Date.now) {
    this.publisher = new NatsSubjectPublisher(clock);
  }

  async deliver(endpoint: NotificationEndpointConfig, row: NotificationRow): Promise<void> {
    await this.publisher.publish({
      url: endpoint.url,
      subject: endpoint.subject!,
      body: row.payload,
      headers: { 'content-type': contentTypeOf(row.payload), ...deliveryHeaders(row.eventId, row.payload, endpoint.secret, this.clock()) },
      msgId: `${row.eventId}:${endpoint.name}`,
      timeoutMs: endpoint.timeoutMs,
    });
  }

  close(): Promise<void> {
    return this.publisher.close();
  }
}
