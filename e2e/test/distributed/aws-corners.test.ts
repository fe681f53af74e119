// aws-corners.test.ts again, against the distributed mode (see src/harness.ts).
process.env.S3O_E2E_MODE = 'distributed';
await import('../aws-corners.test.js');
