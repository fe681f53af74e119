export { startSystem, BACKEND_BUCKET } from './harness.js';
export type { E2ESystem, RunningBackend, SystemOptions, SystemMode, BackendSpec } from './harness.js';
export type { DistributedControls, RunNats, NatsChoice } from './distributed/cluster.js';
export type { ServiceProcess, ServiceVerb, LogRecord } from './distributed/service-process.js';
export type { ConsumerProgress, NatsNames, PrivateNatsServer } from './distributed/nats-run.js';
export { gatewayClient, routeReadsTo, s3rverClient } from './clients.js';
export type { ChecksumMode, GatewayClientOptions } from './clients.js';
export type { Credential, VirtualBucket, ConfigTree } from './config-text.js';
export { listBackend, storedCopies, readStored } from './backend-inspect.js';
export type { StoredCopy } from './backend-inspect.js';
export { waitUntil } from './poll.js';
export { openSystemLedger } from './ledger-access.js';
export type { WaitOptions } from './poll.js';
export { expectS3Error } from './expect-error.js';
export type { ExpectedError } from './expect-error.js';
export {
  rawFetch,
  signRequest,
  sendSigned,
  answerBeforeBodyEnds,
  parseErrorXml,
  encodeKeyPath,
} from './raw-request.js';
export type { RawRequest, RawResponse, SignedRequest, EarlyAnswer, S3ErrorBody } from './raw-request.js';
export {
  KiB,
  MiB,
  patternBytes,
  patternStream,
  patternDigests,
  sha256OfStream,
  sha256Hex,
  md5Hex,
  md5Base64,
  crc32Base64,
  multipartEtag,
  readAll,
} from './data.js';
export { getBytes, getDigest, put, listAllKeys, quotedEtag } from './s3-helpers.js';
export { testNothingEscaped } from './escaped-errors.js';
export { NotificationReceiver, type ReceivedRequest, type ReceiverBehaviour } from './notification-receiver.js';
export { testNatsUrl } from './distributed/nats-run.js';
export { CountingProxy, type ProxyCounts } from './counting-proxy.js';
export { OtlpReceiver, OtlpSpanKind, type ReceivedSpan } from './otlp-receiver.js';
export { parsePrometheusText, metricValue, type MetricSample } from './prometheus-text.js';
export { startMeteredSystem, adminUsage, ADMIN_ROOT, type MeteredSystem, type MeteredBackend, type AdminUsageRow } from './metered-system.js';
export { launchChromium, chromiumPath, artifactsDir } from './browser.js';
