/**
 * Annex-B (start-code delimited) and length-prefixed ("AVCC"/"HVCC") NAL unit framing, shared
 * by H.264 and H.265. kvs-developer-guide.txt L3923–3935 ("NAL Adaptation Flag Reference"):
 * Matroska tracks and the console's MSE player need length-prefixed NAL units, while many
 * encoders emit Annex-B.
 *
 * Frame conversion is zero-copy: {@link annexBToLengthPrefixed} returns the NAL units as views
 * into the frame, interleaved with 4-byte length prefixes, for the caller to write in order.
 */

/** Bytes of the NAL length prefix kvssink writes (avcC/hvcC `lengthSizeMinusOne` = 3). */
export const NAL_LENGTH_SIZE = 4;

const START_CODE = Buffer.from([0, 0, 1]);

/** Whether `data` starts with an Annex-B start code (`00 00 01` or `00 00 00 01`). */
export function startsWithStartCode(data: Uint8Array): boolean {
  return (
    data.length >= 3 &&
    data[0] === 0 &&
    data[1] === 0 &&
    (data[2] === 1 || (data[2] === 0 && data.length >= 4 && data[3] === 1))
  );
}

/**
 * Splits an Annex-B byte stream into NAL units (views into `data`, no copies). Leading bytes
 * before the first start code and trailing zero bytes of each unit (`trailing_zero_8bits`, or the
 * first zero of a 4-byte start code) are not part of any unit. Empty units are skipped.
 */
export function splitAnnexB(data: Uint8Array): Uint8Array[] {
  const nals: Uint8Array[] = [];
  const n = data.length;
  // The search for `00 00 01` runs in native code (Buffer#indexOf): ~10x faster than a JS byte
  // loop on a 16 KB frame. The view shares `data`'s memory; units are still views into `data`.
  const bytes = Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  let code = bytes.indexOf(START_CODE);
  while (code >= 0) {
    const nalStart = code + 3;
    code = nalStart < n ? bytes.indexOf(START_CODE, nalStart) : -1;
    pushTrimmed(nals, data, nalStart, code >= 0 ? code : n);
  }
  return nals;
}

function pushTrimmed(nals: Uint8Array[], data: Uint8Array, start: number, end: number): void {
  let e = end;
  while (e > start && data[e - 1] === 0) e--;
  if (e > start) nals.push(data.subarray(start, e));
}

/** NAL units as pieces for writing: `[len, nal, len, nal, …]`, and their total byte length. */
export interface LengthPrefixedPieces {
  pieces: Uint8Array[];
  byteLength: number;
}

/**
 * Converts an Annex-B access unit into 4-byte length-prefixed NAL units without copying the NAL
 * bytes: the prefixes share one small allocation and the units are views into `frame`.
 * `keep` filters units by their first header byte (e.g. to drop access unit delimiters).
 */
export function annexBToLengthPrefixed(frame: Uint8Array, keep?: (nal: Uint8Array) => boolean): LengthPrefixedPieces {
  const all = splitAnnexB(frame);
  const nals = keep ? all.filter(keep) : all;
  const prefixes = new Uint8Array(NAL_LENGTH_SIZE * nals.length);
  const view = new DataView(prefixes.buffer);
  const pieces: Uint8Array[] = new Array<Uint8Array>(nals.length * 2);
  let byteLength = 0;
  for (let k = 0; k < nals.length; k++) {
    const nal = nals[k] as Uint8Array;
    view.setUint32(k * NAL_LENGTH_SIZE, nal.length);
    pieces[2 * k] = prefixes.subarray(k * NAL_LENGTH_SIZE, (k + 1) * NAL_LENGTH_SIZE);
    pieces[2 * k + 1] = nal;
    byteLength += NAL_LENGTH_SIZE + nal.length;
  }
  return { pieces, byteLength };
}

/** Like {@link annexBToLengthPrefixed} but into one new contiguous buffer (copies; for tests and small inputs). */
export function annexBToLengthPrefixedBytes(frame: Uint8Array, keep?: (nal: Uint8Array) => boolean): Uint8Array {
  const { pieces, byteLength } = annexBToLengthPrefixed(frame, keep);
  const out = new Uint8Array(byteLength);
  let o = 0;
  for (const p of pieces) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/**
 * Splits length-prefixed NAL units (views, no copies). Returns null when the lengths do not add
 * up to the buffer exactly, which is how a wrongly-declared Annex-B stream usually shows.
 */
export function splitLengthPrefixed(data: Uint8Array, lengthSize = NAL_LENGTH_SIZE): Uint8Array[] | null {
  const nals: Uint8Array[] = [];
  let o = 0;
  while (o < data.length) {
    if (o + lengthSize > data.length) return null;
    let len = 0;
    for (let k = 0; k < lengthSize; k++) len = len * 256 + (data[o + k] as number);
    o += lengthSize;
    if (o + len > data.length) return null;
    nals.push(data.subarray(o, o + len));
    o += len;
  }
  return nals;
}

/** Appends `nal` to `list` unless an identical unit is already there (encoders may repeat parameter sets). */
export function pushUnique(list: Uint8Array[], nal: Uint8Array): void {
  for (const n of list) if (n.length === nal.length && Buffer.compare(n, nal) === 0) return;
  list.push(nal);
}
