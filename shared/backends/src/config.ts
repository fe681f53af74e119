// What one backend client needs to know. Structurally compatible with the backend entries
// of @s3o/config, so a parsed config can be passed as is.

export interface BackendClientConfig {
  /** Unique backend name; appears in every error. */
  name: string;
  /** `http(s)://host[:port][/base-path]` */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Path-style (`endpoint/bucket/key`) when true or absent, virtual-host style (`bucket.host/key`) when false. */
  forcePathStyle?: boolean;
  /** Longest silence tolerated while waiting for response headers or between body bytes. */
  timeoutMs?: number;
  /** Most sockets open to this backend at once. */
  maxSockets?: number;
  /**
   * PEM file of the CA(s) that sign the provider's certificate (https endpoints), for a
   * provider with a private CA; absent or null = the system's trusted CAs. Certificates are
   * always verified: there is no switch to turn that off.
   */
  caFile?: string | null;
}

export const DEFAULT_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_SOCKETS = 64;
