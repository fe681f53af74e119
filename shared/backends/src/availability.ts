// Which backends a process may use right now. Several features take a backend out of use —
// an open circuit breaker, a monthly usage limit, a drain — each for its own reason and
// with its own answer to the client when no backend is left. Each registers a gate here;
// the write path ranks and the read path orders copies through this one object, so none of
// them needs to know about the others.

export type BackendUse = 'write' | 'read';

/** Why a gate keeps a backend out of one use. */
export interface BackendRefusal {
  gate: string;
  reason: string;
  /**
   * The S3 error to answer when every candidate is refused for this reason (e.g.
   * `SlowDown` for a usage limit on reads, `InsufficientStorage` for writes).
   */
  s3Code: 'SlowDown' | 'ServiceUnavailable' | 'InsufficientStorage';
  /**
   * A soft refusal (an open breaker) orders the backend last instead of removing it: a read
   * may still try it when every other copy failed. A hard one (a limit) removes it.
   */
  soft: boolean;
}

export interface BackendGate {
  readonly name: string;
  /** null when this gate lets `backend` be used for `use` of `bytes` bytes. */
  check(backend: string, use: BackendUse, bytes: number): BackendRefusal | null;
}

export class BackendAvailability {
  private readonly gates: BackendGate[] = [];

  addGate(gate: BackendGate): void {
    this.gates.push(gate);
  }

  /** The first refusal of any gate, or null when every gate allows the use. */
  check(backend: string, use: BackendUse, bytes = 0): BackendRefusal | null {
    for (const gate of this.gates) {
      const refusal = gate.check(backend, use, bytes);
      if (refusal) return refusal;
    }
    return null;
  }

  /**
   * `candidates` in their order with refused ones moved out: allowed first, then the softly
   * refused (when `keepSoft`), and the refusals so a caller with nothing left can answer
   * with the right error.
   */
  arrange(candidates: readonly string[], use: BackendUse, bytes = 0, keepSoft = false): { usable: string[]; refusals: BackendRefusal[] } {
    const allowed: string[] = [];
    const soft: string[] = [];
    const refusals: BackendRefusal[] = [];
    for (const name of candidates) {
      const refusal = this.check(name, use, bytes);
      if (!refusal) allowed.push(name);
      else {
        refusals.push(refusal);
        if (refusal.soft && keepSoft) soft.push(name);
      }
    }
    return { usable: [...allowed, ...soft], refusals };
  }

  /**
   * Every one of `candidates`, none removed: allowed ones first, then those softly refused
   * (breaker open), then those refused outright — for something that must land somewhere, and
   * is tiny enough that a limit or a drain should not stop it (a delete marker).
   */
  usableFirst(candidates: readonly string[], use: BackendUse): string[] {
    const { usable } = this.arrange(candidates, use, 0, true);
    return [...usable, ...candidates.filter((name) => !usable.includes(name))];
  }
}
