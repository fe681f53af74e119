// `encryption.*`: upstream's server-side encryption, which does not exist here yet. Only the
// on-switch is read, and turning it on is refused; the other keys are recognised so a
// config moved from upstream with encryption off loads without warnings. No Config member.

import type { z } from 'zod';
import { boolean, recognised, section } from '../fields.js';
import { defineSection } from '../section.js';

const schema = section({
  enabled: boolean(false),
  chunk_size: recognised(),
  master_key: recognised(),
  master_key_file: recognised(),
  vault: recognised(),
  previous_keys: recognised(),
});

type Reads = { encryption: z.output<typeof schema> };

export const encryptionSection = defineSection({
  key: 'encryption',
  field: null,
  schema,
  unsupported: [
    { key: 'encryption.enabled', problem: 'encryption is not supported yet', isOn: ({ encryption }: Reads) => encryption.enabled },
  ],
});
