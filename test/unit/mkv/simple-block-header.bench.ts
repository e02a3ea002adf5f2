/**
 * Benchmark (prints only; not collected by vitest, which runs *.test.ts): per-frame SimpleBlock
 * framing with kvssink's hand-written encodeSimpleBlockHeader versus the `ebml` npm package,
 * which ARCHITECTURE.md names as the default choice. `ebml` is not a dependency; install it
 * outside the repo and point EBML_DIR at it:
 *
 *   (mkdir -p /tmp/ebmlbench && cd /tmp/ebmlbench && npm i ebml)
 *   EBML_DIR=/tmp/ebmlbench npx vite-node test/unit/mkv/simple-block-header.bench.ts
 *
 * The `ebml` Encoder is a Transform stream whose `['tag', { name: 'SimpleBlock', data }]` input
 * needs the whole block body, so the payload must be concatenated (copied) into it; its
 * `tools.writeVint` can at least size a header without copying, which is measured too.
 *
 * Finding (ebml 3.0.0, the latest on npm): the Encoder emits only empty buffers (its flush does
 * `Buffer.from(this.buffer)` on a `Buffers` object; the fix in node-ebml PR #100 was never
 * published), so its "B" column reads 0. Its cost is still measured, as an upper bound.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { encodeSimpleBlockHeader } from '../../../src/mkv/mkv-writer.js';

const FRAMES = 100_000;
const PAYLOAD_BYTES = Number(process.env['PAYLOAD_BYTES'] ?? 4096); // ~1 Mbit/s at 30 fps
const payload = new Uint8Array(PAYLOAD_BYTES).fill(0x42);

/** Best of 5 runs after a warm-up, so JIT tiering does not decide the result. */
function time(label: string, fn: () => number): void {
  fn();
  let ms = Infinity;
  let bytes = 0;
  for (let run = 0; run < 5; run++) {
    const t0 = process.hrtime.bigint();
    bytes = fn();
    ms = Math.min(ms, Number(process.hrtime.bigint() - t0) / 1e6);
  }
  console.log(`${label.padEnd(58)} ${ms.toFixed(1).padStart(8)} ms  ${((ms * 1e3) / FRAMES).toFixed(3).padStart(7)} µs/frame  (${bytes} B)`);
}

time(`kvssink encodeSimpleBlockHeader (header only, payload by ref)`, () => {
  let n = 0;
  for (let i = 0; i < FRAMES; i++) n += encodeSimpleBlockHeader(1, i % 1000, i % 30 === 0, payload.length).length;
  return n;
});

const dir = process.env['EBML_DIR'];
if (!dir) {
  console.log('EBML_DIR not set: skipping the ebml package');
} else {
  const require = createRequire(join(dir, 'package.json'));
  const ebml = require('ebml') as {
    Encoder: new () => { write(chunk: unknown): boolean; read(): Buffer | null };
    tools: { writeVint(v: number): Buffer };
  };

  time('ebml tools.writeVint + manual fields (header only)', () => {
    let n = 0;
    for (let i = 0; i < FRAMES; i++) {
      const size = ebml.tools.writeVint(4 + payload.length);
      const h = Buffer.allocUnsafe(1 + size.length + 4);
      h[0] = 0xa3;
      size.copy(h, 1);
      h[1 + size.length] = 0x81;
      h.writeInt16BE(i % 1000, 2 + size.length);
      h[4 + size.length] = i % 30 === 0 ? 0x80 : 0;
      n += h.length;
    }
    return n;
  });

  time(`ebml Encoder ['tag', SimpleBlock] (body incl. ${PAYLOAD_BYTES} B payload copy)`, () => {
    const enc = new ebml.Encoder();
    let n = 0;
    for (let i = 0; i < FRAMES; i++) {
      const body = Buffer.allocUnsafe(4 + payload.length);
      body[0] = 0x81;
      body.writeInt16BE(i % 1000, 1);
      body[3] = i % 30 === 0 ? 0x80 : 0;
      body.set(payload, 4);
      enc.write(['tag', { name: 'SimpleBlock', data: body }]);
      // Pull synchronously (paused mode) so output does not pile up in the stream's buffer.
      for (let c = enc.read(); c !== null; c = enc.read()) n += c.length;
    }
    return n;
  });
}
