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
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
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

// s3rver writes a PUT's or UploadPart's body to its file with .pipe(): when the request is
// cut mid-body (a client that gives up, a reset connection) nothing ends the file's write
// stream, so its descriptor stays open — on a deleted file once the key is deleted — and the
// request never settles. A chaos soak saw one s3rver hold ~90 such descriptors after a few
// minutes of connection resets. pipeline() destroys every stream of the chain when one
// fails or closes early, and settles only once the file is written.
FilesystemStore.prototype.putObject = async function putObject(object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  await mkdir(dirname(objectPath), { recursive: true });
  const { size, md5 } = await writeBody(object.content, objectPath);
  await this.putMetadata(object.bucket, object.key, object.metadata, md5);
  return { size, md5 };
};

FilesystemStore.prototype.putPart = async function putPart(bucket, uploadId, partNumber, content) {
  const partPath = join(this.getResourcePath(bucket, undefined, 'uploads'), uploadId, partNumber.toString());
  await mkdir(dirname(partPath), { recursive: true });
  const { size, md5 } = await writeBody(content, partPath);
  await writeFile(`${partPath}.md5`, md5);
  return { size, md5 };
};

/** Writes a Buffer or a stream to `path`; its size and MD5 (hex), once the file is complete. */
async function writeBody(content, path) {
  const hash = createHash('md5');
  let size = 0;
  const count = new Transform({
    transform(chunk, encoding, callback) {
      hash.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  await pipeline(Buffer.isBuffer(content) ? Readable.from([content]) : content, count, createWriteStream(path));
  return { size, md5: hash.digest('hex') };
}

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
