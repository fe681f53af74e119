// object-attributes.test.ts again, against the distributed mode (see src/harness.ts): the mode is read when the
// system starts, and node runs every test file in its own process, so this is per file.
process.env.S3O_E2E_MODE = 'distributed';
await import('../object-attributes.test.js');
