// CRC64NVME (reflected polynomial 0x9A6C9329AC4BC9B5), the default checksum of every PUT
// (docs/architecture.md "Checksums"), so it runs over every byte a client uploads. Node has
// no native CRC64, and JS has no fast 64-bit integers: a JS table loop keeps the register as
// two 32-bit halves and needs 16 lookups per 8 bytes. This one runs in a small WebAssembly
// function with i64 registers, sliced 16 bytes at a time: 16 independent lookups per 16
// bytes, so the loop waits on one load-and-xor chain per block instead of per byte
// (1.1 → 0.6 ms of CPU per MB: docs/performance.md, "Large rows: the CRC in WebAssembly, the
// rest in garbage collection").
//
// The module is assembled here, from the instructions below, when the first hasher is made:
// there is no binary to trust and nothing to rebuild. Its memory holds the 16 lookup tables
// and a window that each update copies the caller's bytes into (WebAssembly cannot read a
// Node Buffer in place). update() is synchronous, so one instance serves every hasher.

import type { Checksum } from './checksum.js';

/** Slicing width: bytes consumed per loop iteration, each through its own table. */
const SLICES = 16;
const TABLE_BYTES = SLICES * 256 * 8;
const PAGE_BYTES = 65536;
const MEMORY_PAGES = 4;
/** Where the window for the caller's bytes starts, and how much of it there is. */
const WINDOW_OFFSET = TABLE_BYTES;
const WINDOW_BYTES = MEMORY_PAGES * PAGE_BYTES - WINDOW_OFFSET;
const ALL_ONES = 0xffff_ffff_ffff_ffffn;

/** Table k (k = 0…15) gives the CRC register after one byte followed by k zero bytes. */
function sliceTables(): BigUint64Array {
  const poly = 0x9a6c9329ac4bc9b5n;
  const t = new BigUint64Array(SLICES * 256);
  for (let i = 0; i < 256; i++) {
    let c = BigInt(i);
    for (let j = 0; j < 8; j++) c = c & 1n ? (c >> 1n) ^ poly : c >> 1n;
    t[i] = c;
  }
  for (let k = 1; k < SLICES; k++) {
    for (let i = 0; i < 256; i++) {
      const prev = t[(k - 1) * 256 + i]!;
      t[k * 256 + i] = (prev >> 8n) ^ t[Number(prev & 0xffn)]!;
    }
  }
  return t;
}

// ---- the WebAssembly module, encoded by hand (binary format 1.0) ----

const I32 = 0x7f;
const I64 = 0x7e;
const op = {
  block: 0x02, loop: 0x03, br: 0x0c, brIf: 0x0d, end: 0x0b, void: 0x40,
  localGet: 0x20, localSet: 0x21,
  i64Load: 0x29, i64Load8u: 0x31,
  i32Const: 0x41, i64Const: 0x42,
  i32GeU: 0x4f, i32Add: 0x6a, i32And: 0x71, i32Shl: 0x74,
  i64And: 0x83, i64Xor: 0x85, i64ShrU: 0x88, i32WrapI64: 0xa7,
};

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) return [...out, byte];
    out.push(byte | 0x80);
  }
}

const section = (id: number, body: number[]) => [id, ...uleb(body.length), ...body];
const vector = (items: number[][]) => [...uleb(items.length), ...items.flat()];
const name = (s: string) => [...uleb(s.length), ...Buffer.from(s, 'latin1')];

// update(crc: i64, len: i32) -> i64: the register after the `len` bytes in the window.
const CRC = 0, LEN = 1, P = 2, BLOCKS_END = 3, END = 4, C = 5, D = 6;

/** Pushes table[k][byte `shift / 8` of the i64 local]. */
function lookup(local: number, shift: number, table: number): number[] {
  const byte = shift === 56
    ? [op.localGet, local, op.i64Const, ...sleb(56), op.i64ShrU]
    : [op.localGet, local, ...(shift ? [op.i64Const, ...sleb(shift), op.i64ShrU] : []), op.i64Const, ...sleb(0xff), op.i64And];
  // address = byte * 8, plus the table's start as the load's constant offset
  return [...byte, op.i32WrapI64, op.i32Const, 3, op.i32Shl, op.i64Load, 3, ...uleb(table * 256 * 8)];
}

/** The xor of all the pushed values, as a balanced tree (independent lookups, short chain). */
function xorTree(parts: number[][]): number[] {
  if (parts.length === 1) return parts[0]!;
  const half = parts.length >> 1;
  return [...xorTree(parts.slice(0, half)), ...xorTree(parts.slice(half)), op.i64Xor];
}

function updateBody(): number[] {
  // byte j of the 16-byte block goes through table 15 - j; c holds bytes 0–7 (xored with the register), d bytes 8–15
  const lookups = [
    ...Array.from({ length: 8 }, (_, j) => lookup(C, 8 * j, 15 - j)),
    ...Array.from({ length: 8 }, (_, j) => lookup(D, 8 * j, 7 - j)),
  ];
  const code = [
    op.localGet, CRC, op.localSet, C,
    op.i32Const, ...sleb(WINDOW_OFFSET), op.localSet, P,
    op.i32Const, ...sleb(WINDOW_OFFSET), op.localGet, LEN, op.i32Add, op.localSet, END,
    op.i32Const, ...sleb(WINDOW_OFFSET), op.localGet, LEN, op.i32Const, ...sleb(-SLICES), op.i32And, op.i32Add, op.localSet, BLOCKS_END,
    // 16 bytes at a time
    op.block, op.void, op.loop, op.void,
    op.localGet, P, op.localGet, BLOCKS_END, op.i32GeU, op.brIf, 1,
    op.localGet, C, op.localGet, P, op.i64Load, 3, 0, op.i64Xor, op.localSet, C,
    op.localGet, P, op.i64Load, 3, 8, op.localSet, D,
    ...xorTree(lookups), op.localSet, C,
    op.localGet, P, op.i32Const, SLICES, op.i32Add, op.localSet, P,
    op.br, 0,
    op.end, op.end,
    // the rest byte by byte: c = table0[(c ^ byte) & 0xff] ^ (c >> 8)
    op.block, op.void, op.loop, op.void,
    op.localGet, P, op.localGet, END, op.i32GeU, op.brIf, 1,
    op.localGet, C, op.localGet, P, op.i64Load8u, 0, 0, op.i64Xor, op.i64Const, ...sleb(0xff), op.i64And,
    op.i32WrapI64, op.i32Const, 3, op.i32Shl, op.i64Load, 3, 0,
    op.localGet, C, op.i64Const, 8, op.i64ShrU, op.i64Xor, op.localSet, C,
    op.localGet, P, op.i32Const, 1, op.i32Add, op.localSet, P,
    op.br, 0,
    op.end, op.end,
    op.localGet, C,
    op.end,
  ];
  const locals = vector([[3, I32], [2, I64]]); // p, blocksEnd, end; c, d
  const body = [...locals, ...code];
  return [...uleb(body.length), ...body];
}

function moduleBytes(): Uint8Array {
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector([[0x60, 2, I64, I32, 1, I64]])), // type 0: (i64, i32) -> i64
    ...section(3, vector([[0]])), // function 0 has type 0
    ...section(5, vector([[0x00, ...uleb(MEMORY_PAGES)]])), // one memory, fixed size
    ...section(7, vector([[...name('memory'), 0x02, 0], [...name('update'), 0x00, 0]])),
    ...section(10, vector([updateBody()])),
  ]);
}

// The WebAssembly global is declared by TypeScript's DOM library, which this build leaves out; the two constructors used here:
declare const WebAssembly: {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown) => { exports: unknown };
};

/**
 * Why this process cannot compute CRC64NVME, or null when it can: Node started with
 * `--jitless` has no WebAssembly. The CLI refuses to start a service then, rather than fail
 * every PUT that sends no checksum of its own.
 */
export function crc64nvmeUnavailable(): string | null {
  return typeof WebAssembly === 'undefined'
    ? 'this Node process has no WebAssembly (was it started with --jitless?), which the default CRC64NVME checksum of every PUT needs (docs/architecture.md, "Checksums")'
    : null;
}

interface Kernel {
  window: Uint8Array;
  update(crc: bigint, length: number): bigint;
}

/** One instance for every hasher, made on first use. */
let sharedKernel: Kernel | null = null;

function loadKernel(): Kernel {
  const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
  const exports = instance.exports as { memory: { buffer: ArrayBuffer }; update(crc: bigint, length: number): bigint };
  // wasm memory is little-endian whatever the machine, so the tables go in through a DataView
  const view = new DataView(exports.memory.buffer);
  sliceTables().forEach((v, i) => view.setBigUint64(i * 8, v, true));
  return { window: new Uint8Array(exports.memory.buffer, WINDOW_OFFSET, WINDOW_BYTES), update: exports.update };
}

export class Crc64Nvme implements Checksum {
  private register = ALL_ONES;
  private readonly kernel = (sharedKernel ??= loadKernel());

  update(data: Uint8Array): void {
    const { window, update } = this.kernel;
    let register = this.register;
    for (let offset = 0; offset < data.length; offset += WINDOW_BYTES) {
      const part = data.subarray(offset, offset + WINDOW_BYTES);
      window.set(part);
      register = update(register, part.length);
    }
    this.register = register;
  }

  digest(): Buffer {
    const out = Buffer.allocUnsafe(8);
    out.writeBigUInt64BE(BigInt.asUintN(64, this.register ^ ALL_ONES));
    return out;
  }

  digestBase64(): string {
    return this.digest().toString('base64');
  }
}
