// Which endpoints an event goes to: the endpoint's `events` patterns, and for object events
// its bucket list and key prefix / suffix (filters of object keys, as in AWS).
import { notificationEventMatches, type NotificationEndpointConfig } from '@s3o/config';
import type { NotificationFacts } from './events.js';

export function endpointMatches(endpoint: NotificationEndpointConfig, facts: NotificationFacts): boolean {
  if (!endpoint.events.some((pattern) => notificationEventMatches(pattern, facts.name))) return false;
  if (facts.kind === 'operational') return true;
  if (endpoint.buckets.length > 0 && !endpoint.buckets.includes(facts.bucket)) return false;
  return facts.key.startsWith(endpoint.prefix) && facts.key.endsWith(endpoint.suffix);
}
