// Which control-plane permission each admin request needs (docs/architecture.md §6
// "Authorisation"), decided from its method and path before any route runs. Reads need
// admin-read; a drain of a backend admin-drain and its removal admin-decommission, on that
// backend (a grant on the backend or on the orchestrator); users and credentials admin-keys;
// stored buckets admin-provision; every other change admin-maintain.
import type { AdminPermission } from '@s3o/identity';

export interface AdminNeed {
  permission: AdminPermission;
  /** the backend the request acts on, when it acts on one */
  backend?: string;
}

/** `path` below `/admin/api`, without the query; segments still URL-encoded. */
export function adminNeed(method: string, path: string): AdminNeed {
  const parts = path.split('/').filter((p) => p !== '').map(safeDecode);
  const read = method === 'GET' || method === 'HEAD';
  if (parts[0] === 'backends' && parts[1] !== undefined) {
    const backend = parts[1];
    if (parts[2] === 'drain') return { permission: read ? 'admin-read' : 'admin-drain', backend };
    if (parts.length === 2 && method === 'DELETE') return { permission: 'admin-decommission', backend };
  }
  if (read) return { permission: 'admin-read' };
  if (parts[0] === 'users' || parts[0] === 'credentials') return { permission: 'admin-keys' };
  if (parts[0] === 'buckets') return { permission: 'admin-provision' };
  return { permission: 'admin-maintain' };
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
