// Dashboard sessions (docs/architecture.md §7, `ui.*`): who may log in, the signed session
// cookie, CSRF tokens and the per-IP login throttle. Nothing is stored server-side: a cookie
// is `v1.<access key id>.<expiry ms>.<nonce>.<credential tag>.<hmac>`, signed with
// ui.session_secret, so every gateway sharing the secret accepts it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { AdminPermission, IdentityRegistry } from '@s3o/identity';

export const SESSION_COOKIE = 's3o_session';
/** Before login: the random half of the login form's double-submit CSRF token. */
export const PRELOGIN_COOKIE = 's3o_login';
export const SESSION_TTL_MS = 24 * 60 * 60_000;

export interface Principal {
  accessKeyId: string;
  /** what the principal may do; `admin-write` shows and allows the action buttons */
  grants: ReadonlySet<'admin-read' | 'admin-write'>;
}

export interface Session {
  principal: Principal;
  expiresAt: number;
  /** the token every state-changing request of this session must carry */
  csrf: string;
}

function equalText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  // Compared at equal length so the time says nothing about where they differ.
  return timingSafeEqual(x.length === y.length ? x : y, y) && x.length === y.length;
}

/** A credential allowed into the dashboard: its secret and what its principal may do. */
export interface LoginEntry {
  secret: string;
  principal: Principal;
}

/** Finds the dashboard credential of an access key id, or null. */
export type LoginLookup = (accessKeyId: string) => LoginEntry | null;

/** Control-plane permissions that change something: holding any of them shows the action buttons. */
const CHANGING: readonly AdminPermission[] = ['admin-maintain', 'admin-drain', 'admin-decommission', 'admin-provision', 'admin-keys'];

/**
 * Any live credential whose user holds `admin-read` (docs/architecture.md §6 "Authorisation"),
 * from the gateway's identity registry, read each time — so a revoked, rotated or reloaded
 * credential applies at once. `admin-write` stands for "holds some permission that changes
 * something"; the admin API still checks the exact permission of every request.
 */
export function identityLogin(identity: { readonly registry: IdentityRegistry }): LoginLookup {
  return (accessKeyId) => {
    const registry = identity.registry;
    const holder = registry.holder(accessKeyId);
    const secret = registry.secretOf(accessKeyId);
    if (!holder || secret === undefined || !registry.allowsAdmin(holder.user, 'admin-read')) return null;
    const write = CHANGING.some((p) => registry.allowsAdmin(holder.user, p));
    return { secret, principal: { accessKeyId, grants: new Set(write ? ['admin-read', 'admin-write'] : ['admin-read']) } };
  };
}

/** The credentials that may log in, found by access key id through a LoginLookup. */
export class LoginRegistry {
  constructor(private readonly entry: LoginLookup) {}

  /** Checks a typed access key id and secret (in constant time); the principal, or null. */
  login(accessKeyId: string, secret: string): Principal | null {
    const found = this.entry(accessKeyId);
    // An unknown key still costs one comparison, so timing does not tell which keys exist.
    const ok = equalText(found?.secret ?? DECOY, secret);
    return found && ok ? found.principal : null;
  }

  /**
   * The principal a session names, as long as its credential is still allowed in with the same
   * secret: a revoked or rotated credential ends its sessions at once. `tag` is what
   * credentialTag gave at login.
   */
  current(accessKeyId: string, tag: string, tagOf: (secret: string) => string): Principal | null {
    const found = this.entry(accessKeyId);
    return found && equalText(tagOf(found.secret), tag) ? found.principal : null;
  }
}

const DECOY = randomBytes(24).toString('base64');

export class SessionSigner {
  constructor(private readonly secret: string, private readonly registry: LoginRegistry) {}

  private mac(...parts: string[]): string {
    return createHmac('sha256', this.secret).update(parts.join('\n')).digest('base64url');
  }

  /** Names the credential's secret without revealing it: a rotated secret no longer matches. */
  private readonly tagOf = (credentialSecret: string): string => this.mac('credential', credentialSecret).slice(0, 16);

  issue(principal: Principal, credentialSecret: string, now = Date.now()): string {
    const payload = ['v1', principal.accessKeyId, String(now + SESSION_TTL_MS), randomBytes(12).toString('base64url'), this.tagOf(credentialSecret)];
    return `${payload.map(encodeURIComponent).join('.')}.${this.mac('session', ...payload)}`;
  }

  /** The session a cookie value stands for, or null when it is forged, expired or revoked. */
  verify(cookie: string | undefined, now = Date.now()): Session | null {
    if (!cookie) return null;
    const parts = cookie.split('.');
    if (parts.length !== 6 || parts[0] !== 'v1') return null;
    let payload: string[];
    try {
      payload = parts.slice(0, 5).map(decodeURIComponent);
    } catch {
      return null;
    }
    if (!equalText(this.mac('session', ...payload), parts[5]!)) return null;
    const expiresAt = Number(payload[2]);
    if (!Number.isFinite(expiresAt) || expiresAt <= now) return null;
    const principal = this.registry.current(payload[1]!, payload[4]!, this.tagOf);
    if (!principal) return null;
    return { principal, expiresAt, csrf: this.mac('csrf', parts[5]!) };
  }

  /** The login form's token for a pre-login nonce (double submit: cookie + field). */
  loginCsrf(nonce: string): string {
    return this.mac('login-csrf', nonce);
  }

  checkLoginCsrf(nonce: string | undefined, token: string | undefined): boolean {
    return !!nonce && !!token && equalText(this.loginCsrf(nonce), token);
  }
}

export function checkCsrf(session: Session, token: string | undefined): boolean {
  return token !== undefined && equalText(session.csrf, token);
}

/**
 * Failed logins per client IP: after `limit` failures within `windowMs` further attempts are
 * refused until the window has passed; a success forgets the IP. Bounded so a flood of
 * addresses cannot grow it without end (the oldest entries go first).
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; since: number }>();

  constructor(private readonly limit = 5, private readonly windowMs = 5 * 60_000, private readonly maxEntries = 10_000) {}

  /** Milliseconds until this IP may try again; 0 when it may now. */
  retryAfter(ip: string, now = Date.now()): number {
    const entry = this.failures.get(ip);
    if (!entry) return 0;
    if (now - entry.since >= this.windowMs) {
      this.failures.delete(ip);
      return 0;
    }
    return entry.count >= this.limit ? entry.since + this.windowMs - now : 0;
  }

  failed(ip: string, now = Date.now()): void {
    const entry = this.failures.get(ip);
    if (entry && now - entry.since < this.windowMs) {
      entry.count += 1;
      return;
    }
    this.failures.delete(ip);
    if (this.failures.size >= this.maxEntries) this.failures.delete(this.failures.keys().next().value!);
    this.failures.set(ip, { count: 1, since: now });
  }

  succeeded(ip: string): void {
    this.failures.delete(ip);
  }
}

/** The cookies of a request header, by name (first one wins). */
export function parseCookies(header: string | undefined): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (!cookies.has(name)) cookies.set(name, part.slice(eq + 1).trim());
  }
  return cookies;
}
