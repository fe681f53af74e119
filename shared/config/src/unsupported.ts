// Settings we recognise (upstream has them) but whose behaviour does not exist
// here yet. Ignoring them would silently change what the operator asked for
// (data not replicated, not encrypted, limits not enforced), so turning one on
// is an error. When a feature lands, delete its entry here, read the value in
// document.ts/normalise.ts, and add it to Config.

import { z } from 'zod';
import type { ConfigDocument } from './document.js';
import type { KeyPath } from './keyPath.js';

interface UnsupportedSetting {
  /** The key as documented; `[]` stands for "each element". */
  key: string;
  /** What the operator reads after the key path. */
  problem: string;
  /** Where this document turns the setting on (usually none or one place). */
  usedAt(doc: ConfigDocument): KeyPath[];
}

/** `path` (dotted) when `isOn`, else nowhere. */
function where(isOn: boolean, dotted: string): KeyPath[] {
  return isOn ? [dotted.split('.')] : [];
}

export const UNSUPPORTED_SETTINGS: readonly UnsupportedSetting[] = [
  {
    key: 'encryption.enabled',
    problem: 'encryption is not supported yet',
    usedAt: (d) => where(d.encryption.enabled, 'encryption.enabled'),
  },
  {
    key: 'telemetry.metrics.pprof',
    problem: 'pprof is not supported',
    usedAt: (d) => where(d.telemetry.metrics.pprof, 'telemetry.metrics.pprof'),
  },
  {
    key: 'server.tls.cert_file',
    problem: 'TLS is not supported yet (terminate TLS in front of the gateway)',
    usedAt: (d) => where(typeof d.server.tls.cert_file === 'string', 'server.tls.cert_file'),
  },
  {
    key: 'server.tls.key_file',
    problem: 'TLS is not supported yet (terminate TLS in front of the gateway)',
    usedAt: (d) => where(typeof d.server.tls.key_file === 'string', 'server.tls.key_file'),
  },
];

export function checkUnsupportedSettings(doc: ConfigDocument, ctx: z.RefinementCtx): void {
  for (const setting of UNSUPPORTED_SETTINGS) {
    for (const path of setting.usedAt(doc)) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: [...path], message: setting.problem });
    }
  }
}
