// The model of what every key must hold: the last acknowledged state of each key, or —
// after a write whose outcome the client could not learn (an error, a cut connection) —
// the set of states it may hold (the previous ones plus the attempted one). Each key is
// written by one client only, one request at a time, so the set is exact: the final read
// must find one of its members, and an acknowledged write collapses it to one.
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { patternStream } from '../data.js';

/** One stretch of a stored value: `size` bytes of the pattern named `seed` (data.ts). */
export interface Segment {
  size: number;
  seed: string;
}

/** A value a key may hold; multipart uploads and copies are several segments. */
export interface Value {
  segments: Segment[];
  size: number;
}

/** null = the key does not exist (a read answers 404). */
export type State = Value | null;

export function valueOf(segments: Segment[]): Value {
  return { segments, size: segments.reduce((n, s) => n + s.size, 0) };
}

export function valueName(v: State): string {
  return v === null ? 'absent' : v.segments.map((s) => `${s.seed}:${s.size}`).join('+');
}

/** The bytes of a value, produced segment by segment (never held whole). */
export function valueStream(v: Value): Readable {
  return Readable.from((async function* () {
    for (const s of v.segments) yield* patternStream(s.size, s.seed);
  })());
}

const digests = new Map<string, string>();

/** Hex MD5 of a value's bytes (cached: a value is checked many times). */
export async function valueMd5(v: Value): Promise<string> {
  const name = valueName(v);
  const known = digests.get(name);
  if (known) return known;
  const md5 = createHash('md5');
  for await (const chunk of valueStream(v)) md5.update(chunk as Buffer);
  const hex = md5.digest('hex');
  digests.set(name, hex);
  return hex;
}

/** The bytes [start, end] of a value (for checking a ranged read). */
export async function valueRange(v: Value, start: number, end: number): Promise<Buffer> {
  const out: Buffer[] = [];
  let at = 0;
  for await (const chunk of valueStream(v)) {
    const b = chunk as Buffer;
    const from = Math.max(start - at, 0);
    const to = Math.min(end + 1 - at, b.length);
    if (to > from) out.push(b.subarray(from, to));
    at += b.length;
    if (at > end) break;
  }
  return Buffer.concat(out);
}

export class KeyModel {
  /** per key: the states it may be in; one member = known exactly */
  private readonly states = new Map<string, State[]>();

  keys(): string[] {
    return [...this.states.keys()].sort();
  }

  possible(key: string): State[] {
    return this.states.get(key) ?? [null];
  }

  /** The single state the key is known to be in, or undefined when uncertain. */
  known(key: string): State | undefined {
    const s = this.possible(key);
    return s.length === 1 ? s[0] : undefined;
  }

  acknowledged(key: string, state: State): void {
    this.states.set(key, [state]);
  }

  /** A write or delete whose outcome is unknown: the key may now hold `attempted` too. */
  unknown(key: string, attempted: State): void {
    const now = this.possible(key);
    if (!now.some((s) => valueName(s) === valueName(attempted))) this.states.set(key, [...now, attempted]);
  }

  /** Keys whose state is uncertain (for the report). */
  uncertainCount(): number {
    return [...this.states.values()].filter((s) => s.length > 1).length;
  }
}
