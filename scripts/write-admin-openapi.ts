// Writes docs/admin-api.openapi.json from the admin API's route table
// (services/gateway/src/admin/route-table.ts). Run after changing a route:
//   node --conditions=source --import tsx scripts/write-admin-openapi.ts
// services/gateway/test/admin-operator.test.ts fails while the file and the table differ.
import { writeFileSync } from 'node:fs';
import { adminOpenApi } from '@s3o/gateway';

const target = new URL('../docs/admin-api.openapi.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(adminOpenApi(), null, 2)}\n`);
process.stdout.write(`wrote ${target.pathname}\n`);
