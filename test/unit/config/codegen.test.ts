import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findPropertyTests, generateCHeader, spliceReadme } from '../../../src/config/codegen.js';
import { PROPERTIES } from '../../../src/config/schema.js';

const root = join(import.meta.dirname, '..', '..', '..');

describe('generated property files', () => {
  it('native/gst/gstkvssinkprops.h matches the schema', () => {
    expect(readFileSync(join(root, 'native/gst/gstkvssinkprops.h'), 'utf8')).toBe(generateCHeader());
  });

  it("the README's parameter table matches the schema", () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    expect(spliceReadme(readme, findPropertyTests(root))).toBe(readme);
  });

  it('declares every property of the official element exactly once', () => {
    const names = PROPERTIES.map((p) => p.name);
    expect(new Set(names).size).toBe(names.length);
    expect([...names].sort()).toEqual([
      'absolute-fragment-times', 'access-key', 'allow-create-stream', 'avg-bandwidth-bps', 'aws-region',
      'buffer-duration', 'codec-id', 'completion-timeout', 'connection-staleness', 'connection-timeout',
      'content-type', 'credential-path', 'disable-buffer-clipping', 'file-start-time', 'fragment-acks',
      'fragment-duration', 'frame-timecodes', 'framerate', 'get-kvs-metrics', 'iot-certificate',
      'key-frame-fragmentation', 'log-config', 'max-latency', 'recalculate-metrics', 'replay-duration',
      'restart-on-error', 'retention-period', 'rotation-period', 'secret-key', 'session-token', 'storage-size',
      'stop-stream-timeout', 'stream-name', 'stream-tags', 'streaming-type', 'timecode-scale', 'track-name',
      'use-original-pts', 'user-agent',
    ].sort());
  });

  it('keeps the defaults of the guide and the official element', () => {
    const d = Object.fromEntries(PROPERTIES.map((p) => [p.name, p.default]));
    expect(d).toMatchObject({
      'storage-size': 128, 'stop-stream-timeout': 120, 'connection-timeout': 5, 'completion-timeout': 10,
      'buffer-duration': 180, 'rotation-period': 2400, 'fragment-duration': 2000, 'avg-bandwidth-bps': 4194304,
      'codec-id': 'V_MPEG4/ISO/AVC', 'track-name': 'kinesis_video', 'aws-region': 'us-west-2', 'streaming-type': 0,
      'retention-period': 2, 'max-latency': 60, 'replay-duration': 40, 'connection-staleness': 60,
      'timecode-scale': 1, 'framerate': 25, 'content-type': 'video/h264', 'absolute-fragment-times': true,
    });
  });
});
