// Time-sortable ids (ULID): 26 characters of Crockford base32 encoding a 48-bit millisecond
// timestamp followed by 80 random bits. Ids made in the same millisecond increment the random
// part, so ids from one process sort in creation order — intent ids and write ids rely on it
// ("the key has been written since the intent was created" compares them as strings).
import { randomFillSync } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const TIME_MAX = 2n ** 48n - 1n;
const RANDOM_MAX = 2n ** 80n - 1n;

let lastTime = -1n;
let lastRandom = 0n;

/**
 * Random bytes are taken from a pool filled 4 KiB at a time: one randomFillSync per id was
 * a visible share of a small PUT's CPU (several ids per PUT).
 */
const POOL = Buffer.alloc(4096);
let poolOffset = POOL.length;

function freshRandom(): bigint {
  if (poolOffset + 10 > POOL.length) {
    randomFillSync(POOL);
    poolOffset = 0;
  }
  const hi = POOL.readUInt16BE(poolOffset);
  const lo = POOL.readBigUInt64BE(poolOffset + 2);
  poolOffset += 10;
  return (BigInt(hi) << 64n) | lo;
}

function encode(value: bigint, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) {
    out = ALPHABET[Number(value & 31n)] + out;
    value >>= 5n;
  }
  return out;
}

/** A new ULID; strictly greater than every id this process made before. */
export function newId(now: number = Date.now()): string {
  let time = BigInt(Math.floor(now));
  if (time < 0n || time > TIME_MAX) throw new RangeError(`time ${now} cannot be encoded in a ULID`);
  // A clock that steps back must not break the ordering: stay on the last time seen.
  if (time <= lastTime) {
    time = lastTime;
    if (lastRandom === RANDOM_MAX) {
      // 2^80 ids in one millisecond cannot happen in practice; move to the next ms rather than wrap.
      time += 1n;
      lastRandom = freshRandom();
    } else {
      lastRandom += 1n;
    }
  } else {
    lastRandom = freshRandom();
  }
  lastTime = time;
  return encode(time, 10) + encode(lastRandom, 16);
}

/** The millisecond timestamp encoded in a ULID. */
export function idTime(id: string): number {
  if (!/^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) throw new TypeError(`not a ULID: ${id}`);
  let time = 0;
  for (const ch of id.slice(0, 10)) time = time * 32 + ALPHABET.indexOf(ch);
  return time;
}
