import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BackendClient, createBackendClients, type BackendClientConfig } from '../src/index.js';

const base: Omit<BackendClientConfig, 'name'> = {
  endpoint: 'http://127.0.0.1:9',
  region: 'us-east-1',
  bucket: 'b1',
  accessKeyId: 'a',
  secretAccessKey: 's',
  forcePathStyle: true,
};

describe('createBackendClients', () => {
  it('creates one client per backend, keyed by name', () => {
    const clients = createBackendClients([
      { ...base, name: 'one' },
      { ...base, name: 'two', forcePathStyle: false, timeoutMs: 1000 },
    ]);
    try {
      assert.deepEqual([...clients.keys()], ['one', 'two']);
      for (const [name, client] of clients) {
        assert.ok(client instanceof BackendClient);
        assert.equal(client.name, name);
      }
    } finally {
      for (const client of clients.values()) client.close();
    }
  });

  it('refuses duplicate names and invalid endpoints', () => {
    assert.throws(() => createBackendClients([{ ...base, name: 'x' }, { ...base, name: 'x' }]), /duplicate backend name: x/);
    assert.throws(() => createBackendClients([{ ...base, name: 'x', endpoint: 'file:///tmp' }]), TypeError);
  });
});
