// Object tags changed outside a write (Put/DeleteObjectTagging). A write sets its tags with
// its identity in the commit; this replaces the set of the object that is there, under the
// key lock, so a tagging racing an overwrite lands on one of the two writes, never on a mix.
import type { TaggingLedger, TaggingResult } from '../ledger.js';
import { withTags } from '../object-tags.js';
import type { Core } from './tx-work.js';

export function taggingOperations(core: Core): TaggingLedger {
  return {
    async setObjectTags(objectKey, tags, events) {
      return core.withWork(async (work): Promise<TaggingResult | null> => {
        const current = await work.tx.lockObjectKey(objectKey);
        if (!current) return null;
        await work.tx.updateObjectTags(objectKey, tags);
        const sequenced = await work.takeSequencer();
        const { tags: _previous, ...rest } = current;
        const result = { object: { ...rest, ...withTags(tags) }, sequencer: sequenced.sequencer };
        work.append(events(result), sequenced);
        return result;
      });
    },
  };
}
