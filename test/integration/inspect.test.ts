/** gst-inspect-1.0 (an independent tool) sees the pads and every property with its documented default. */
import { describe, expect, it } from 'vitest';
import { PROPERTIES } from '../../src/config/schema.js';
import { gstEnv, run } from './gst.js';

function defaultAsInspectShowsIt(p: (typeof PROPERTIES)[number]): string | undefined {
  switch (p.type) {
    case 'string': return p.default === null ? 'Default: null' : `Default: "${p.default}"`;
    case 'boolean': return `Default: ${String(p.default)}`;
    case 'uint': return `Range: ${p.min} - ${p.max} Default: ${p.default}`;
    case 'uint64': return `Default: ${p.default.toString()}`;
    case 'enum': return `Default: ${p.default}, "${p.values.find((v) => v.value === p.default)!.nick}"`;
    case 'structure': return 'Boxed pointer of type "GstStructure"';
  }
}

describe('gst-inspect-1.0 kvssink', () => {
  it('lists the request pad templates with the official caps, plus H.264 byte-stream and avc3', async () => {
    const r = await run('gst-inspect-1.0', ['kvssink'], { env: gstEnv() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/SINK template: 'video_%u'\s+Availability: On request/);
    expect(r.stdout).toMatch(/SINK template: 'audio_%u'\s+Availability: On request/);
    for (const caps of ['video/x-h264', 'stream-format: { (string)avc, (string)avc3, (string)byte-stream }', 'alignment: au', 'video/x-h265', 'audio/mpeg',
      'mpegversion: { (int)2, (int)4 }', 'stream-format: raw', 'audio/x-alaw', 'audio/x-mulaw']) {
      expect(r.stdout).toContain(caps);
    }
  });

  it('shows every property with its documented default', async () => {
    const r = await run('gst-inspect-1.0', ['kvssink'], { env: gstEnv() });
    expect(r.code).toBe(0);
    for (const p of PROPERTIES) {
      const block = new RegExp(`\\n  ${p.name}\\s*: [^\\n]*\\n[^\\n]*\\n\\s+([^\\n]*)`).exec(r.stdout);
      expect(block, `property ${p.name}`).not.toBeNull();
      expect(block![1], p.name).toContain(defaultAsInspectShowsIt(p));
    }
    expect(r.stdout).toContain('Enum "GstKvsSinkStreamingType"');
    for (const [value, nick] of ['realtime', 'near-realtime', 'offline'].entries()) {
      expect(r.stdout).toMatch(new RegExp(`\\(${value}\\): ${nick}\\s`));
    }
  });

  it("shows the guide's range of every numeric property and which ones may change while PLAYING", async () => {
    const r = await run('gst-inspect-1.0', ['kvssink'], { env: gstEnv() });
    for (const p of PROPERTIES) {
      const block = new RegExp(`\\n  ${p.name}\\s*: [^\\n]*\\n\\s+flags: ([^\\n]*)\\n\\s+([^\\n]*)`).exec(r.stdout);
      expect(block, p.name).not.toBeNull();
      expect(block![1], p.name).toContain(p.mutable === 'playing' ? 'changeable in NULL, READY, PAUSED or PLAYING state'
        : 'changeable only in NULL or READY state');
      if (p.type === 'uint' || p.type === 'uint64') expect(block![2], p.name).toContain(`Range: ${p.min} - ${p.max}`);
    }
  });

  it("lists the official element's signals", async () => {
    const r = await run('gst-inspect-1.0', ['kvssink'], { env: gstEnv() });
    expect(r.stdout).toMatch(/"stream-error" :\s+void user_function \(GstElement\* object,\s+guint64 arg0,/);
    expect(r.stdout).toMatch(/"fragment-ack" :\s+void user_function \(GstElement\* object,\s+GstStructure\* arg0\);/);
    expect(r.stdout).toMatch(/"stream-client-metric" :\s+void user_function \(GstElement\* object,\s+GstStructure\* arg0\);/);
  });
});
