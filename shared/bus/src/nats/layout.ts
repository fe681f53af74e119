// Names on the NATS side (docs/architecture.md §5 "NATS layout"): every stream, subject and durable name
// derives from configuration, so a test run — or a second deployment on the same server —
// isolates itself by choosing its own stream name and subject prefix.

/** One subject token or one JetStream name: what a prefix, stream or service name may be. */
const NAME = /^[A-Za-z0-9_-]+$/;

export interface NatsLayoutConfig {
  /** events stream, e.g. S3O_EVENTS; the dead-letter stream is `<stream>_DEAD` */
  stream: string;
  /** first subject token, e.g. s3o */
  subjectPrefix: string;
  /** the service this process runs, e.g. cleanup: names its durables and its dead-letter subject */
  service: string;
}

export interface NatsLayout {
  readonly stream: string;
  readonly deadStream: string;
  /** what the events stream captures: `<prefix>.events.>` */
  readonly eventSubjects: string;
  /** what the dead-letter stream captures: `<prefix>.dead.>` */
  readonly deadSubjects: string;
  /** where this service's dead letters go: `<prefix>.dead.<service>` */
  readonly deadSubject: string;
  /** `<prefix>.events.<type>`; the dots of the type become extra subject tokens */
  eventSubject(type: string): string;
  /** `<prefix>-<service>-<purpose>-<type>`: one durable per (subscription, type), since server 2.9 takes one filter per consumer */
  durableName(purpose: string, type: string): string;
}

export function natsLayout(config: NatsLayoutConfig): NatsLayout {
  const { stream, subjectPrefix: prefix, service } = config;
  requireName('bus stream', stream);
  requireName('bus subject prefix', prefix);
  requireName('bus service', service);
  return {
    stream,
    deadStream: `${stream}_DEAD`,
    eventSubjects: `${prefix}.events.>`,
    deadSubjects: `${prefix}.dead.>`,
    deadSubject: `${prefix}.dead.${service}`,
    eventSubject: (type) => `${prefix}.events.${subjectTokens(type)}`,
    durableName: (purpose, type) => `${prefix}-${service}-${nameToken(purpose)}-${nameToken(type)}`,
  };
}

function requireName(what: string, value: string): void {
  if (!NAME.test(value)) throw new Error(`${what} must be one token of [A-Za-z0-9_-], got ${JSON.stringify(value)}`);
}

/**
 * Event types are code constants like `object.created`, but a type that is not a valid subject
 * must not wedge the relay (its row would fail to publish forever), so odd characters and empty
 * tokens are replaced. Publisher and consumer both go through here, so they agree.
 */
function subjectTokens(type: string): string {
  return type.split('.').map(nameToken).join('.');
}

/** Durable names may not contain `.`, `*`, `>` or whitespace. */
function nameToken(value: string): string {
  const token = value.replace(/[^A-Za-z0-9_-]/g, '_');
  return token === '' ? '_' : token;
}
