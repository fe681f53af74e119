// A way to hand one stored delivery to its endpoint. Resolves when the endpoint took it;
// throws (with a message worth showing in the dead-letter list) when it did not.
import type { NotificationEndpointConfig } from '@s3o/config';
import type { NotificationRow } from '@s3o/store';

export interface Transport {
  deliver(endpoint: NotificationEndpointConfig, row: NotificationRow): Promise<void>;
  close(): Promise<void>;
}
