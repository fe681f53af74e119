// The accounting month of a moment: providers bill per calendar month, in UTC.

/** `YYYY-MM` of `ms` (epoch milliseconds), UTC. */
export function usagePeriod(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** Requests, bytes fetched from (egress) and bytes sent to (ingress) a backend. */
export interface UsageCounts {
  requests: number;
  egress: number;
  ingress: number;
}

/** One backend's counts within one month. */
export interface BackendUsage extends UsageCounts {
  backend: string;
  period: string;
}

export const ZERO_USAGE: Readonly<UsageCounts> = Object.freeze({ requests: 0, egress: 0, ingress: 0 });

export function usageKey(backend: string, period: string): string {
  return `${backend}\u0000${period}`;
}
