// Where one write's bytes live on a backend: `{bucket}/{key}!{intent id}` (docs/architecture.md §4). The
// rule is shared with placement (replicas get paths of their own), so it lives in the store.
export { storageKeyFor, storagePathOf } from '@s3o/store';
