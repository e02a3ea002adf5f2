/** Runs real GStreamer pipelines for tests that compare against GStreamer's own parsers. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Runs `gst-launch-1.0 -q` with a pipeline given as argv tokens; `{out}` is replaced by a temp file, whose bytes are returned. */
export function gstToBytes(tokens: string[]): Uint8Array {
  const dir = mkdtempSync(join(tmpdir(), 'kvssink-gst-'));
  try {
    const out = join(dir, 'out.bin');
    execFileSync('gst-launch-1.0', ['-q', ...tokens.map((t) => t.replace('{out}', out))], { stdio: ['ignore', 'ignore', 'pipe'] });
    return Uint8Array.from(readFileSync(out));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `gst-launch-1.0 -v` and returns the caps string negotiated on fakesink's sink pad. */
export function gstSinkCaps(tokens: string[]): string {
  const out = execFileSync('gst-launch-1.0', ['-v', ...tokens, '!', 'fakesink'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const line = out.split('\n').find((l) => l.includes('GstFakeSink:fakesink0.GstPad:sink: caps = '));
  if (!line) throw new Error(`no fakesink caps in:\n${out}`);
  return line.slice(line.indexOf('caps = ') + 'caps = '.length).trim();
}
