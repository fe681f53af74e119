// The rebalancer (rebalance.*): every `interval`, one process at a time (a PeriodicWorker under
// the `rebalance` leader lock, see ./index.ts) plans up
// to `batch_size` moves toward the strategy and carries them out `concurrency` at a time with
// the same move as drains (copy first, then the ledger swaps the rows; the source's bytes
// become a debt), so it never loses the only copy.
//  * pack: backends earlier in config order that have room take copies from the last ones.
//  * spread: while the utilisation (bytes stored / quota) of the fullest and the emptiest
//    backend differ by more than `threshold`, copies go from the fullest to the emptiest.
//    Backends without a quota have no utilisation and take no part.
// Draining backends and backends a gate refuses for writes (open breaker, usage limit) are
// neither sources nor targets.
import type { LocationRow, QuotaRow } from '@s3o/store';
import type { CopyMover } from './copy-mover.js';
import type { RelocationDeps } from './deps.js';
import { mapLimited } from './drain-worker.js';

/** Copies looked at per listing page while planning. */
const PAGE = 200;

export interface RebalanceCounts {
  planned: number;
  moved: number;
  bytes: number;
  failed: number;
}

interface PlannedMove {
  copy: LocationRow;
  target: string;
}

/** A backend as the plan sees it: bytes it will hold after the moves planned so far. */
interface Holding {
  name: string;
  limit: number;
  /** stored + in flight; orphan bytes are on their way out and do not count */
  bytes: number;
  /** what a claim would see: limit − used − orphan − in flight (Infinity for no quota) */
  room: number;
}

export class Rebalancer {
  constructor(private readonly deps: RelocationDeps, private readonly mover: CopyMover) {}

  /** Plans one batch of moves and carries them out; moves not yet started are skipped once `signal` fires. */
  async run(signal: AbortSignal, progress?: (counts: RebalanceCounts) => void): Promise<RebalanceCounts> {
    const plan = await this.plan();
    const counts: RebalanceCounts = { planned: plan.length, moved: 0, bytes: 0, failed: 0 };
    // Updated as moves end: an operator's pass streams them.
    progress?.(counts);
    const { concurrency } = this.deps.config.rebalance;
    await mapLimited(plan, concurrency, async ({ copy, target }) => {
      if (signal.aborted) return;
      try {
        const r = await this.mover.relocate({ copy, reason: 'rebalance', targets: [target], dropWhenReplicated: false, leaving: new Set(), signal });
        if (r.outcome === 'moved') {
          counts.moved++;
          counts.bytes += r.bytes;
        }
      } catch (err) {
        counts.failed++;
        if (!signal.aborted) this.deps.logger.warn({ err, key: copy.objectKey, from: copy.backendName, to: target }, 'rebalance move failed');
      }
    });
    return counts;
  }

  /** The moves of one run, at most batch_size. */
  async plan(): Promise<PlannedMove[]> {
    const { config, ledger, availability } = this.deps;
    const draining = new Set((await ledger.drains.listActiveDrains()).map((d) => d.backendName));
    const quotas = new Map((await ledger.getQuotas()).map((q) => [q.backendName, q]));
    const usable = config.backends
      .map((b) => b.name)
      .filter((name) => quotas.has(name) && !draining.has(name) && !availability?.check(name, 'write'))
      .map((name) => holdingOf(quotas.get(name)!));
    const { strategy, batchSize } = config.rebalance;
    return strategy === 'pack' ? this.planPack(usable, batchSize) : this.planSpread(usable, batchSize);
  }

  /** Fill the earliest backends with room from the last ones. */
  private async planPack(backends: Holding[], limit: number): Promise<PlannedMove[]> {
    const moves: PlannedMove[] = [];
    for (let s = backends.length - 1; s > 0 && moves.length < limit; s--) {
      const source = backends[s]!;
      await this.eachCopy(source.name, (copy, holders) => {
        const target = backends.slice(0, s).find((b) => !holders.has(b.name) && fits(b, copy.sizeBytes));
        if (!target) return moves.length < limit;
        take(source, target, copy.sizeBytes);
        moves.push({ copy, target: target.name });
        return moves.length < limit;
      });
    }
    return moves;
  }

  /** Fullest to emptiest while their utilisation differs by more than the threshold. */
  private async planSpread(all: Holding[], limit: number): Promise<PlannedMove[]> {
    const backends = all.filter((b) => b.limit > 0);
    const threshold = this.deps.config.rebalance.threshold;
    const moves: PlannedMove[] = [];
    const ascending = () => [...backends].sort((a, b) => use(a) - use(b));
    const unbalanced = (source: Holding) => use(source) - use(ascending()[0]!) > threshold;
    const visited = new Set<string>();
    while (backends.length >= 2 && moves.length < limit) {
      const source = ascending().reverse().find((b) => !visited.has(b.name));
      if (!source || !unbalanced(source)) break;
      visited.add(source.name);
      await this.eachCopy(source.name, (copy, holders) => {
        const size = copy.sizeBytes;
        const target = ascending().find((b) => b !== source && !holders.has(b.name) && fits(b, size));
        // A move must not leave the target fuller than the source: that would only swap them.
        if (target && use(source) - use(target) > threshold && (target.bytes + size) / target.limit <= (source.bytes - size) / source.limit) {
          take(source, target, size);
          moves.push({ copy, target: target.name });
        }
        return moves.length < limit && unbalanced(source);
      });
    }
    return moves;
  }

  /** Each ok copy on `backend` with the backends that hold the same object, until `visit` says stop. */
  private async eachCopy(backend: string, visit: (copy: LocationRow, holders: Set<string>) => boolean): Promise<void> {
    const { ledger } = this.deps;
    let after: string | null = null;
    for (;;) {
      const page = await ledger.drains.listBackendCopies(backend, after, PAGE);
      for (const copy of page) {
        if (copy.state !== 'ok') continue;
        const found = await ledger.getObject(copy.objectKey);
        if (!found || found.object.writeId !== copy.writeId) continue;
        if (!visit(copy, new Set(found.locations.map((l) => l.backendName)))) return;
      }
      if (page.length < PAGE) return;
      after = page.at(-1)!.storageKey;
    }
  }
}

function holdingOf(q: QuotaRow): Holding {
  return {
    name: q.backendName,
    limit: q.bytesLimit,
    bytes: q.bytesUsed + q.inflightBytes,
    room: q.bytesLimit === 0 ? Infinity : q.bytesLimit - q.bytesUsed - q.orphanBytes - q.inflightBytes,
  };
}

function use(b: Holding): number {
  return b.limit > 0 ? b.bytes / b.limit : 0;
}

function fits(b: Holding, size: number): boolean {
  return b.room >= size;
}

function take(source: Holding, target: Holding, size: number): void {
  source.bytes -= size;
  target.bytes += size;
  target.room -= size;
}
