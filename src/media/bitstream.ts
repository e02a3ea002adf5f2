/**
 * Bit-level reading for H.264/H.265 parameter sets: emulation-prevention removal (NAL → RBSP) and
 * an MSB-first bit reader with Exp-Golomb codes (ITU-T H.264 §7.2, §9.1; H.265 §7.2, §9.2).
 * Only parameter sets go through here (tens of bytes, once per stream), never frame payloads.
 */

/** Thrown when a parameter set ends early or holds values out of range. */
export class BitstreamError extends Error {
  override readonly name = 'BitstreamError';
}

/**
 * Removes emulation-prevention bytes: every `00 00 03` becomes `00 00`. Returns the input itself
 * when there is nothing to remove.
 */
export function nalToRbsp(nal: Uint8Array): Uint8Array {
  let zeros = 0;
  let found = -1;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i] as number;
    if (zeros >= 2 && b === 3) {
      found = i;
      break;
    }
    zeros = b === 0 ? zeros + 1 : 0;
  }
  if (found < 0) return nal;
  const out = new Uint8Array(nal.length);
  let n = 0;
  zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i] as number;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, n);
}

/** MSB-first bit reader over an RBSP. Reading past the end throws {@link BitstreamError}. */
export class BitReader {
  private pos = 0;

  constructor(private readonly data: Uint8Array) {}

  /** Bits consumed so far. */
  get bitPosition(): number {
    return this.pos;
  }

  /** Bits left. */
  get bitsLeft(): number {
    return this.data.length * 8 - this.pos;
  }

  /** Reads one bit. */
  bit(): number {
    if (this.pos >= this.data.length * 8) throw new BitstreamError('Parameter set ends early');
    const byte = this.data[this.pos >>> 3] as number;
    const v = (byte >>> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return v;
  }

  /** Reads `n` bits (0–32) as an unsigned number. */
  bits(n: number): number {
    let v = 0;
    for (let i = 0; i < n; i++) v = v * 2 + this.bit();
    return v;
  }

  /** Reads a flag. */
  flag(): boolean {
    return this.bit() === 1;
  }

  /** Skips `n` bits. */
  skip(n: number): void {
    if (this.pos + n > this.data.length * 8) throw new BitstreamError('Parameter set ends early');
    this.pos += n;
  }

  /** Reads ue(v), an unsigned Exp-Golomb code. */
  ue(): number {
    let leadingZeros = 0;
    while (this.bit() === 0) {
      if (++leadingZeros > 31) throw new BitstreamError('Exp-Golomb code too long');
    }
    return 2 ** leadingZeros - 1 + this.bits(leadingZeros);
  }

  /** Reads se(v), a signed Exp-Golomb code. */
  se(): number {
    const k = this.ue();
    if (k === 0) return 0; // not -(0 / 2), which is -0
    return k % 2 === 1 ? (k + 1) / 2 : -(k / 2);
  }
}
