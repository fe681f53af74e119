// The event names a notification endpoint may subscribe to (`notifications.endpoints[].events`).
// S3 names are AWS's (`s3:ObjectCreated:Put` …); operational events are named by their bus
// type (`backend.circuit.opened` …) and are always delivered as CloudEvents.
// A pattern is one of these names, or a prefix ending in `*` that matches at least one.

export const S3_NOTIFICATION_EVENTS = [
  's3:ObjectCreated:Put',
  's3:ObjectCreated:Copy',
  's3:ObjectCreated:CompleteMultipartUpload',
  's3:ObjectRemoved:Delete',
  's3:LifecycleExpiration:Delete',
  's3:ObjectTagging:Put',
  's3:ObjectTagging:Delete',
] as const;

export const OPERATIONAL_NOTIFICATION_EVENTS = [
  'backend.circuit.opened',
  'backend.circuit.closed',
  'backend.drain.completed',
  'backend.drain.failed',
  'backend.drain.cancelled',
  'cleanup.dead_lettered',
  'replication.target_exhausted',
  'object.lost',
  'integrity.corruption_detected',
] as const;

export type S3NotificationEvent = (typeof S3_NOTIFICATION_EVENTS)[number];
export type OperationalNotificationEvent = (typeof OPERATIONAL_NOTIFICATION_EVENTS)[number];
export type NotificationEventName = S3NotificationEvent | OperationalNotificationEvent;

export const NOTIFICATION_EVENT_NAMES: readonly NotificationEventName[] = [...S3_NOTIFICATION_EVENTS, ...OPERATIONAL_NOTIFICATION_EVENTS];

/** Whether `pattern` (a name, or a prefix + `*`) matches `name`. */
export function notificationEventMatches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}

/** The problem of an `events` entry that matches no known name, or null. */
export function notificationEventPatternProblem(pattern: string): string | null {
  if (pattern.indexOf('*') !== -1 && pattern.indexOf('*') !== pattern.length - 1) {
    return `${JSON.stringify(pattern)}: "*" may only end a pattern`;
  }
  if (NOTIFICATION_EVENT_NAMES.some((name) => notificationEventMatches(pattern, name))) return null;
  return `${JSON.stringify(pattern)} matches no event; known events: ${NOTIFICATION_EVENT_NAMES.join(', ')}`;
}
