/**
 * Long-lived streams on bad networks (issue 9), with real pipelines into the local endpoint:
 * sessions rotate without a gap, a full store drops the oldest whole fragments and says so,
 * and outages and dropped connections lose nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { gstEnv, gstLaunch, h264TestSource, kvsSink, tempDir } from './gst.js';

let kvs: LocalKvs;

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('network-data'), activationDelayMs: 0 });
});

afterAll(async () => {
  await kvs?.close();
});

function liveSource(frames: number): string {
  return h264TestSource(frames).replace('videotestsrc', 'videotestsrc is-live=true');
}

describe('network', () => {
  it('rotates PutMedia sessions at fragment boundaries after rotation-period, with no gap and nothing sent twice', async () => {
    const result = await gstLaunch(`${liveSource(360)} ! ${kvsSink('rotated', 'rotation-period=3')}`,
      gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }), 60_000);
    expect(result.code, result.stdout + result.stderr).toBe(0);
    const fragments = kvs.getFragments('rotated').sort((a, b) => a.fragmentTimecode - b.fragmentTimecode);
    const sessions = new Set(fragments.map((f) => f.session));
    expect(sessions.size).toBeGreaterThanOrEqual(3);
    // Nothing twice: every fragment stored once, and all 360 frames.
    expect(new Set(fragments.map((f) => f.fragmentTimecode)).size).toBe(fragments.length);
    expect(fragments.reduce((n, f) => n + f.frameCount, 0)).toBe(360);
    // No gap: each fragment starts where the previous one ended (within a frame).
    for (let i = 1; i < fragments.length; i++) {
      const gap = fragments[i]!.fragmentTimecode - (fragments[i - 1]!.fragmentTimecode + fragments[i - 1]!.durationMs);
      expect(Math.abs(gap)).toBeLessThanOrEqual(34);
    }
  });
});
