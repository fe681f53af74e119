// Child-process entry for one s3rver (see src/s3rver-process.ts, which spawns it).
//
// It is plain JavaScript, shipped uncompiled, so the same file serves tests run from
// TypeScript sources and code run from dist/. s3rver needs the OpenSSL legacy provider
// (its continuation tokens are DES-encrypted); the parent sets
// NODE_OPTIONS=--openssl-legacy-provider for this process only.
//
// Protocol: argv[2] is a JSON object { directory, port, buckets }. Once listening, one JSON
// line { "port": <bound port> } is written to stdout. The process exits on SIGTERM/SIGINT
// and when its stdin closes, so it never outlives a parent that died without stopping it.
import { unlink } from 'node:fs/promises';
import S3rver from 's3rver';
import FilesystemStore from 's3rver/lib/stores/filesystem.js';

// s3rver's DeleteObject removes the object's directory once it is empty; a PUT of another
// key in that directory, between its mkdir and opening its file, then hits ENOENT on a
// write stream nobody listens to, and the whole process dies (seen when cleanup deletes
// copies while new ones are written next to them). Empty directories cost nothing here —
// listings are made from object files — so deletes leave them.
FilesystemStore.prototype.deleteObject = async function deleteObject(bucket, key) {
  await Promise.all(['object', 'object.md5', 'metadata.json'].map((resource) =>
    unlink(this.getResourcePath(bucket, key, resource)).catch((err) => {
      if (err.code !== 'ENOENT') throw err;
    })));
};

const { directory, port, buckets } = JSON.parse(process.argv[2] ?? '{}');

const server = new S3rver({
  address: '127.0.0.1',
  port,
  directory,
  silent: true,
  configureBuckets: buckets.map((name) => ({ name })),
});

const bound = await server.run();
process.stdout.write(JSON.stringify({ port: bound.port }) + '\n');

let stopping = false;
function shutdown() {
  if (stopping) return;
  stopping = true;
  server.close(() => process.exit(0));
  // Open keep-alive connections must not hold the process hostage.
  setTimeout(() => process.exit(0), 2000).unref();
}

process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
process.stdin.on('end', shutdown);
process.stdin.on('error', shutdown);
process.stdin.resume();
