// Watching backend calls without changing them. Circuit breakers, usage metering, metrics
// and tracing all need to see every call a process makes to a backend — the gateway's and
// every background worker's — so the client reports each call to its observers instead of
// each feature wrapping the client.

/** One call as it starts. */
export interface BackendCall {
  backend: string;
  /** S3 operation name: PutObject, GetObject, HeadBucket … */
  operation: string;
  method: string;
  /** bytes of request body sent to the backend (ingress, from the backend's point of view) */
  ingressBytes: number;
}

/** How a call ended: once its response was read or abandoned, or when it failed before one. */
export interface BackendCallOutcome {
  /** HTTP status of the answer; 0 when none arrived (network error, timeout, abort) */
  status: number;
  /** set when the call failed (any error, including an unaccepted status) */
  error?: Error;
  /**
   * an accepted answer whose body ended early — the reader stopped (a client that went
   * away) or the connection broke; not by itself the backend's fault
   */
  cutShort: boolean;
  durationMs: number;
  /** bytes of response body received from the backend (egress), however the body ended */
  egressBytes: number;
}

export interface BackendObserver {
  /** Called as a call starts; the function it returns is called exactly once when the call ends. */
  start(call: BackendCall): (outcome: BackendCallOutcome) => void;
}

/** Several observers as one; an observer that throws is isolated from the call and the others. */
export class ObserverList implements BackendObserver {
  private readonly observers: BackendObserver[] = [];

  add(observer: BackendObserver): () => void {
    this.observers.push(observer);
    return () => {
      const i = this.observers.indexOf(observer);
      if (i >= 0) this.observers.splice(i, 1);
    };
  }

  get size(): number {
    return this.observers.length;
  }

  start(call: BackendCall): (outcome: BackendCallOutcome) => void {
    const ends: Array<(outcome: BackendCallOutcome) => void> = [];
    for (const o of this.observers) {
      try {
        ends.push(o.start(call));
      } catch {
        // an observer's failure must never fail a data operation
      }
    }
    let ended = false;
    return (outcome) => {
      if (ended) return;
      ended = true;
      for (const end of ends) {
        try {
          end(outcome);
        } catch {
          // as above
        }
      }
    };
  }
}
