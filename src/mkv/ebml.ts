/**
 * EBML (RFC 8794) element model and encoder, in mediabunny's shape: an element is plain typed data,
 * and encoding is a pure function of it. kvssink only writes append-only streams, so the
 * unknown-size form is the only "patchable" size there is, and it is never patched.
 */
import type { EbmlId } from './ebml-id.js';

/** `size` value asking for the reserved all-ones "unknown size" (8 bytes: `01 FF FF FF FF FF FF FF`). */
export const UNKNOWN_SIZE = -1;

/** The unknown-size field as written: 8 bytes wide, like mediabunny's append-only mode. */
export const UNKNOWN_SIZE_BYTES: Uint8Array = Uint8Array.of(0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff);

/**
 * Largest value {@link writeVarInt} accepts. EBML allows up to 2^56 − 2 (all ones is reserved), but
 * a JS number is exact only up to 2^53 − 1, which is far beyond any element kvssink writes.
 */
export const MAX_VARINT_VALUE = Number.MAX_SAFE_INTEGER;

/** A number written as a 4-byte IEEE 754 float. */
export class EbmlFloat32 {
  constructor(readonly value: number) {}
}

/** A number written as an 8-byte IEEE 754 float (Matroska's SamplingFrequency, Duration). */
export class EbmlFloat64 {
  constructor(readonly value: number) {}
}

/** A number written as a signed (two's complement) integer in the fewest bytes. */
export class EbmlSignedInt {
  constructor(readonly value: number) {}
}

/** The body of an element. `null` entries in a child list are skipped, so optional elements can be written inline. */
export type EbmlData =
  | number
  | bigint
  | string
  | Uint8Array
  | EbmlFloat32
  | EbmlFloat64
  | EbmlSignedInt
  | readonly (Ebml | null)[]
  | null;

/**
 * One EBML element.
 * - `data`: a number or bigint is an unsigned integer (fewest bytes), a string is UTF-8, a
 *   `Uint8Array` is binary, an array holds child elements, `null` is an empty body.
 * - `size`: the width in bytes (1–8) of the size field, or {@link UNKNOWN_SIZE}. Omitted: the fewest bytes.
 */
export interface Ebml {
  id: EbmlId | number;
  size?: number;
  data: EbmlData;
}

const textEncoder = new TextEncoder();

function assertNever(x: never): never {
  throw new TypeError(`Unhandled EBML data: ${String(x)}`);
}

/** Bytes needed for a variable-size integer of `value`. Throws RangeError when it cannot be represented. */
export function measureVarInt(value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`EBML varint out of range: ${value}`);
  }
  // 2^(7w) − 1 is all ones (reserved), so a w-byte varint holds 0 … 2^(7w) − 2.
  let width = 1;
  while (value >= 2 ** (7 * width) - 1) width++;
  return width;
}

/**
 * Writes `value` as a variable-size integer at `offset` and returns the offset after it.
 * `width` forces a wider encoding than the minimum (1–8 bytes).
 */
export function writeVarInt(buf: Uint8Array, offset: number, value: number, width = measureVarInt(value)): number {
  if (width < 1 || width > 8 || width < measureVarInt(value)) {
    throw new RangeError(`EBML varint ${value} does not fit in ${width} bytes`);
  }
  let v = value;
  for (let i = width - 1; i > 0; i--) {
    buf[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
  buf[offset] = v | (0x80 >> (width - 1));
  return offset + width;
}

/** Bytes an element ID takes: IDs already carry their length marker (0x1A45DFA3 is 4 bytes). */
export function measureId(id: number): number {
  if (id < 0x100) return 1;
  if (id < 0x10000) return 2;
  if (id < 0x1000000) return 3;
  return 4;
}

function writeId(buf: Uint8Array, offset: number, id: number): number {
  const n = measureId(id);
  for (let i = n - 1; i >= 0; i--) buf[offset + (n - 1 - i)] = (id >>> (8 * i)) & 0xff;
  return offset + n;
}

/** Bytes an unsigned integer takes in its fewest-bytes form (0 takes one byte). */
export function measureUnsignedInt(value: number | bigint): number {
  if (typeof value === 'bigint') {
    if (value < 0n || value >= 1n << 64n) throw new RangeError(`EBML uint out of range: ${value}`);
    let n = 1;
    while (value >= 1n << BigInt(8 * n)) n++;
    return n;
  }
  if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`EBML uint out of range: ${value}`);
  let n = 1;
  while (value >= 2 ** (8 * n)) n++;
  return n;
}

function writeUnsignedInt(buf: Uint8Array, offset: number, value: number | bigint, width: number): number {
  if (typeof value === 'bigint') {
    let v = value;
    for (let i = width - 1; i >= 0; i--) {
      buf[offset + i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return offset + width;
  }
  let v = value;
  for (let i = width - 1; i >= 0; i--) {
    buf[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
  return offset + width;
}

/** Bytes a signed integer takes in two's complement, fewest bytes. */
export function measureSignedInt(value: number): number {
  if (!Number.isSafeInteger(value)) throw new RangeError(`EBML int out of range: ${value}`);
  let n = 1;
  while (n < 8 && (value < -(2 ** (8 * n - 1)) || value >= 2 ** (8 * n - 1))) n++;
  return n;
}

function writeSignedInt(buf: Uint8Array, offset: number, value: number, width: number): number {
  // Two's complement of a negative value in `width` bytes is 2^(8·width) + value.
  const unsigned = value < 0 ? BigInt(value) + (1n << BigInt(8 * width)) : BigInt(value);
  return writeUnsignedInt(buf, offset, unsigned, width);
}

function measureData(data: EbmlData): number {
  if (data === null) return 0;
  if (typeof data === 'number' || typeof data === 'bigint') return measureUnsignedInt(data);
  if (typeof data === 'string') return textEncoder.encode(data).length;
  if (data instanceof Uint8Array) return data.length;
  if (data instanceof EbmlFloat32) return 4;
  if (data instanceof EbmlFloat64) return 8;
  if (data instanceof EbmlSignedInt) return measureSignedInt(data.value);
  if (Array.isArray(data)) {
    let total = 0;
    for (const child of data as readonly (Ebml | null)[]) if (child !== null) total += measureElement(child);
    return total;
  }
  return assertNever(data as never);
}

function sizeFieldWidth(el: Ebml, dataSize: number): number {
  if (el.size === UNKNOWN_SIZE) return UNKNOWN_SIZE_BYTES.length;
  return el.size ?? measureVarInt(dataSize);
}

/** Total encoded bytes of an element: ID + size field + body. */
export function measureElement(el: Ebml): number {
  const dataSize = measureData(el.data);
  return measureId(el.id) + sizeFieldWidth(el, dataSize) + dataSize;
}

function writeData(buf: Uint8Array, view: DataView, offset: number, data: EbmlData, dataSize: number): number {
  if (data === null) return offset;
  if (typeof data === 'number' || typeof data === 'bigint') return writeUnsignedInt(buf, offset, data, dataSize);
  if (typeof data === 'string') {
    const written = textEncoder.encodeInto(data, buf.subarray(offset, offset + dataSize)).written;
    return offset + written;
  }
  if (data instanceof Uint8Array) {
    buf.set(data, offset);
    return offset + data.length;
  }
  if (data instanceof EbmlFloat32) {
    view.setFloat32(offset, data.value);
    return offset + 4;
  }
  if (data instanceof EbmlFloat64) {
    view.setFloat64(offset, data.value);
    return offset + 8;
  }
  if (data instanceof EbmlSignedInt) return writeSignedInt(buf, offset, data.value, dataSize);
  if (Array.isArray(data)) {
    let o = offset;
    for (const child of data as readonly (Ebml | null)[]) if (child !== null) o = writeElementAt(buf, view, o, child);
    return o;
  }
  return assertNever(data as never);
}

function writeElementAt(buf: Uint8Array, view: DataView, offset: number, el: Ebml): number {
  const dataSize = measureData(el.data);
  let o = writeId(buf, offset, el.id);
  if (el.size === UNKNOWN_SIZE) {
    buf.set(UNKNOWN_SIZE_BYTES, o);
    o += UNKNOWN_SIZE_BYTES.length;
  } else {
    o = writeVarInt(buf, o, dataSize, sizeFieldWidth(el, dataSize));
  }
  const end = writeData(buf, view, o, el.data, dataSize);
  if (end !== o + dataSize) throw new Error(`EBML element 0x${el.id.toString(16)} wrote ${end - o} bytes, measured ${dataSize}`);
  return end;
}

/**
 * Writes `el` into `buf` at `offset` and returns the offset after it.
 * The caller provides room for {@link measureElement}(el) bytes.
 */
export function writeElement(buf: Uint8Array, offset: number, el: Ebml): number {
  return writeElementAt(buf, new DataView(buf.buffer, buf.byteOffset, buf.byteLength), offset, el);
}

/** Encodes one element (and its children) into a new byte array. */
export function encodeElement(el: Ebml): Uint8Array {
  const buf = new Uint8Array(measureElement(el));
  writeElement(buf, 0, el);
  return buf;
}

/** Encodes a sequence of elements back to back (nulls skipped) into one byte array. */
export function encodeElements(els: readonly (Ebml | null)[]): Uint8Array {
  let total = 0;
  for (const el of els) if (el !== null) total += measureElement(el);
  const buf = new Uint8Array(total);
  const view = new DataView(buf.buffer);
  let o = 0;
  for (const el of els) if (el !== null) o = writeElementAt(buf, view, o, el);
  return buf;
}
