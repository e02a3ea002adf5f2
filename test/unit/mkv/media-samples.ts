/**
 * Test helpers that turn real encoder output into frames: Annex-B streams into access units,
 * ADTS into raw AAC frames. Deliberately independent of src/media's splitting code.
 */
export type VideoCodec = 'h264' | 'h265';

export interface AccessUnit {
  bytes: Uint8Array;
  keyframe: boolean;
}

interface NalPos {
  start: number; // position of the start code
  payload: number; // position of the NAL header
}

function nalPositions(d: Uint8Array): NalPos[] {
  const out: NalPos[] = [];
  for (let i = 0; i + 3 <= d.length; i++) {
    if (d[i] === 0 && d[i + 1] === 0 && d[i + 2] === 1) {
      out.push({ start: i > 0 && d[i - 1] === 0 ? i - 1 : i, payload: i + 3 });
      i += 2;
    }
  }
  return out;
}

/** Splits an Annex-B elementary stream into access units (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4). */
export function splitAccessUnits(d: Uint8Array, codec: VideoCodec): AccessUnit[] {
  const units: AccessUnit[] = [];
  let auStart = -1;
  let hasSlice = false;
  let key = false;
  for (const { start, payload } of nalPositions(d)) {
    const h0 = d[payload] as number;
    const h1 = d[payload + 1] as number;
    const h2 = d[payload + 2] as number;
    let isSlice: boolean;
    let firstSlice: boolean;
    let isKey: boolean;
    let startsAu: boolean;
    if (codec === 'h264') {
      const t = h0 & 0x1f;
      isSlice = t === 1 || t === 5;
      firstSlice = isSlice && (h1 & 0x80) !== 0; // first_mb_in_slice == 0 is ue "1"
      isKey = t === 5;
      startsAu = [6, 7, 8, 9].includes(t);
    } else {
      const t = (h0 >> 1) & 0x3f;
      isSlice = t <= 31;
      firstSlice = isSlice && (h2 & 0x80) !== 0; // first_slice_segment_in_pic_flag
      isKey = t >= 16 && t <= 23;
      startsAu = [32, 33, 34, 35, 39].includes(t);
    }
    if (hasSlice && (startsAu || firstSlice)) {
      units.push({ bytes: d.subarray(auStart, start), keyframe: key });
      auStart = -1;
      hasSlice = false;
      key = false;
    }
    if (auStart < 0) auStart = start;
    if (isSlice) hasSlice = true;
    if (isKey) key = true;
  }
  if (auStart >= 0) units.push({ bytes: d.subarray(auStart), keyframe: key });
  return units;
}

/** Splits ADTS into raw AAC frames (header stripped). */
export function splitAdts(d: Uint8Array): Uint8Array[] {
  const frames: Uint8Array[] = [];
  let o = 0;
  while (o + 7 <= d.length) {
    if (d[o] !== 0xff || ((d[o + 1] as number) & 0xf0) !== 0xf0) throw new Error(`lost ADTS sync at ${o}`);
    const protectionAbsent = (d[o + 1] as number) & 1;
    const len = (((d[o + 3] as number) & 3) << 11) | ((d[o + 4] as number) << 3) | ((d[o + 5] as number) >> 5);
    const header = protectionAbsent ? 7 : 9;
    frames.push(d.subarray(o + header, o + len));
    o += len;
  }
  return frames;
}
