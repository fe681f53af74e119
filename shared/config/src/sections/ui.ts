// `ui.*`: the web dashboard every gateway serves on its S3 port (docs/architecture.md §7).

import type { z } from 'zod';
import { boolean, optionalText, section, textOr } from '../fields.js';
import { defineSection } from '../section.js';

export interface UiConfig {
  enabled: boolean;
  /** Where the dashboard is served, e.g. `/ui`: one path segment, no trailing slash. */
  path: string;
  /** Signs session cookies and CSRF tokens; the same on every gateway so any of them can answer. */
  sessionSecret: string | null;
  /** Mark cookies Secure even over plain HTTP (TLS ends at a proxy in front of the gateway). */
  forceSecureCookies: boolean;
}

/** The shortest session secret accepted: 32 characters, so a guess is out of reach. */
const MIN_SECRET_CHARS = 32;

const schema = section({
  enabled: boolean(false),
  path: textOr('/ui', (text) => (/^\/[A-Za-z0-9_-]+$/.test(text) ? null : 'expected one path segment such as /ui')),
  session_secret: optionalText((text) => (text.length >= MIN_SECRET_CHARS ? null : `must be at least ${MIN_SECRET_CHARS} characters`)),
  force_secure_cookies: boolean(false),
});

type Reads = { ui: z.output<typeof schema>; buckets: ReadonlyArray<{ name: string }> };

/** First segments the gateway answers itself; the dashboard may not take them. */
const TAKEN = new Set(['admin', 'health', 'metrics']);

export const uiSection = defineSection({
  key: 'ui',
  field: 'ui',
  schema,
  normalise: ({ ui }: Reads): UiConfig => ({
    enabled: ui.enabled,
    path: ui.path,
    sessionSecret: ui.session_secret,
    forceSecureCookies: ui.force_secure_cookies,
  }),
  check({ ui, buckets }: Reads, report) {
    if (ui.enabled && ui.session_secret === null) report(['ui', 'session_secret'], 'required when ui.enabled is true (the same on every gateway)');
    if (typeof ui.path !== 'string') return;
    const first = ui.path.slice(1);
    if (TAKEN.has(first)) report(['ui', 'path'], `"/${first}" is a route of the gateway; pick another path`);
    else if (ui.enabled && buckets.some((b) => b.name === first)) report(['ui', 'path'], `would hide bucket "${first}" on the S3 port; pick another path`);
  },
});
