/**
 * Minimal EBML encoding and VINT decoding for the local endpoint: enough to read what a
 * producer sends and to write the chunks (header + tags + cluster) that GetMedia returns.
 * The producer-side writer lives in src/mkv; this is an independent implementation on
 * purpose, so that a bug in one is caught by the other.
 */
import { EbmlId } from '../mkv/ebml-id.js';

/** Reserved all-ones size, 8 bytes wide: "unknown size" (used for live Segment and Cluster). */
export const UNKNOWN_SIZE_8 = Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

/** Largest size a data-size VINT of `length` bytes can carry (the all-ones value is reserved). */
function maxSizeFor(length: number): bigint {
  return (1n << BigInt(7 * length)) - 2n;
}

/** Encodes an element ID (IDs keep their length marker, so they are written as-is). */
export function encodeId(id: number): Buffer {
  if (id >= 0x1000000) return Buffer.from([(id >>> 24) & 0xff, (id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]);
  if (id >= 0x10000) return Buffer.from([(id >>> 16) & 0xff, (id >>> 8) & 0xff, id & 0xff]);
  if (id >= 0x100) return Buffer.from([(id >>> 8) & 0xff, id & 0xff]);
  return Buffer.from([id & 0xff]);
}

/** Encodes a data size as the shortest VINT (or `width` bytes when given). */
export function encodeSize(size: number | bigint, width?: number): Buffer {
  const value = BigInt(size);
  if (value < 0n) throw new RangeError(`EBML size must not be negative: ${value}`);
  let length = width ?? 1;
  while (value > maxSizeFor(length)) {
    if (width !== undefined || length === 8) throw new RangeError(`EBML size too large: ${value}`);
    length++;
  }
  const out = Buffer.alloc(length);
  let v = value | (1n << BigInt(7 * length));
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

export function element(id: number, ...payload: Buffer[]): Buffer {
  const data = Buffer.concat(payload);
  return Buffer.concat([encodeId(id), encodeSize(data.length), data]);
}

export function uintElement(id: number, value: number | bigint): Buffer {
  let v = BigInt(value);
  const bytes: number[] = [];
  do {
    bytes.unshift(Number(v & 0xffn));
    v >>= 8n;
  } while (v > 0n);
  return element(id, Buffer.from(bytes));
}

export function stringElement(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'utf8'));
}

/** A Tags element holding one Tag (TargetTypeValue 50) with one SimpleTag per entry. */
export function tagsElement(tags: ReadonlyArray<readonly [string, string]>): Buffer {
  const simpleTags = tags.map(([name, value]) =>
    element(EbmlId.SimpleTag, stringElement(EbmlId.TagName, name), stringElement(EbmlId.TagString, value)),
  );
  return element(
    EbmlId.Tags,
    element(EbmlId.Tag, element(EbmlId.Targets, uintElement(EbmlId.TargetTypeValue, 50)), ...simpleTags),
  );
}

export type VintRead = { value: bigint; length: number; unknown: boolean };

/**
 * Reads a data-size VINT at `offset`. Returns undefined when more bytes are needed and
 * throws on an invalid leading byte (0x00: length > 8).
 */
export function readSize(buf: Uint8Array, offset: number): VintRead | undefined {
  if (offset >= buf.length) return undefined;
  const first = buf[offset]!;
  if (first === 0) throw new Error('invalid EBML size VINT (leading zero byte)');
  const length = Math.clz32(first) - 23;
  if (offset + length > buf.length) return undefined;
  let value = BigInt(first & (0xff >> length));
  let allOnes = value === BigInt(0xff >> length);
  for (let i = 1; i < length; i++) {
    const b = buf[offset + i]!;
    value = (value << 8n) | BigInt(b);
    if (b !== 0xff) allOnes = false;
  }
  return { value, length, unknown: allOnes };
}

/** Reads an element ID at `offset` (1–4 bytes, marker kept). Undefined when more bytes are needed. */
export function readId(buf: Uint8Array, offset: number): { id: number; length: number } | undefined {
  if (offset >= buf.length) return undefined;
  const first = buf[offset]!;
  if (first < 0x10) throw new Error(`invalid EBML element ID (leading byte 0x${first.toString(16)})`);
  const length = Math.clz32(first) - 23;
  if (offset + length > buf.length) return undefined;
  let id = 0;
  for (let i = 0; i < length; i++) id = id * 256 + buf[offset + i]!;
  return { id, length };
}

/** Reads an unsigned integer payload (0–8 bytes). */
export function readUint(buf: Uint8Array): bigint {
  let v = 0n;
  for (const b of buf) v = (v << 8n) | BigInt(b);
  return v;
}

/** Iterates the children of a fully buffered master element's payload. */
export function* children(payload: Uint8Array): Generator<{ id: number; data: Uint8Array }> {
  let pos = 0;
  while (pos < payload.length) {
    const id = readId(payload, pos);
    if (!id) throw new Error('truncated child element ID');
    const size = readSize(payload, pos + id.length);
    if (!size) throw new Error('truncated child element size');
    if (size.unknown) throw new Error(`unknown-size child element 0x${id.id.toString(16)}`);
    const start = pos + id.length + size.length;
    const end = start + Number(size.value);
    if (end > payload.length) throw new Error(`child element 0x${id.id.toString(16)} overruns its parent`);
    yield { id: id.id, data: payload.subarray(start, end) };
    pos = end;
  }
}
