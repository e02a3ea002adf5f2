/**
 * The official element's signals from Python (GObject introspection), as an application
 * would use them: stream-error, fragment-ack and stream-client-metric, their payloads read
 * through Gst.Structure getters (test/params/signals.py).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { gstEnv, REPO_ROOT, run, tempDir, type RunResult } from '../integration/gst.js';
import { credentials, source } from './params.js';

/** Debian's python3 has python3-gi (scripts/setup installs it); a pyenv python3 may not. */
const PYTHON = existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3';
const SCRIPT = join(REPO_ROOT, 'test/params/signals.py');

interface Line {
  signal: string | null;
  [field: string]: unknown;
}

let kvs: LocalKvs;

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('signals-data') });
});

afterAll(async () => {
  await kvs?.close();
});

async function python(pipeline: string, ...flags: string[]): Promise<{ result: RunResult; lines: Line[] }> {
  const result = await run(PYTHON, [SCRIPT, pipeline, ...flags], { env: gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url }),
    timeoutMs: 90_000 });
  const lines = result.stdout.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Line);
  return { result, lines };
}

describe('signals from Python', () => {
  it('fragment-ack and stream-client-metric carry the official fields as GstStructures', async () => {
    const { result, lines } = await python(`${source()} ! kvssink name=sink stream-name=signals-ok ${credentials()} get-kvs-metrics=true`);
    expect(result.code, result.stderr).toBe(0);
    expect(lines.at(-1)).toMatchObject({ end: 'eos' });

    const acks = lines.filter((l) => l.signal === 'fragment-ack');
    const fragments = kvs.getFragments('signals-ok');
    expect(acks.map((a) => a.ack_type).sort()).toEqual(
      fragments.flatMap(() => ['BUFFERING', 'PERSISTED', 'RECEIVED']).sort());
    for (const ack of acks) {
      const fragment = fragments.find((f) => f.fragmentNumber === ack.sequence_number);
      expect(fragment, JSON.stringify(ack)).toBeDefined();
      // FragmentAck.timestamp is in 100 ns units.
      expect(ack.timestamp).toBe(fragment!.fragmentTimecode * 10_000);
      expect(ack.result).toBe(0);
      expect(ack.name).toBe('kvs-fragment-ack');
    }

    const metrics = lines.filter((l) => l.signal === 'stream-client-metric');
    expect(metrics.map((m) => m.on_first_frame)).toEqual([true, false, false, false]);
    for (const m of metrics) {
      expect(m['content-store-size']).toBe(128 * 1024 * 1024);
      expect(Number(m['content-store-available-size']) + Number(m['content-store-allocated-size'])).toBe(128 * 1024 * 1024);
      expect(m['overall-view-size']).toBe(m['content-store-allocated-size']);
      expect(typeof m['current-frame-rate']).toBe('number');
      expect(typeof m['frame-pts']).toBe('number');
    }
    expect(lines.some((l) => l.signal === 'stream-error')).toBe(false);
  });

  it('refuses, with a warning, a property read at start changed while PLAYING; takes a PLAYING-mutable one', async () => {
    const live = source(90).replace('videotestsrc ', 'videotestsrc is-live=true ');
    const { result, lines } = await python(`${live} ! kvssink name=sink stream-name=signals-mutable ${credentials()}`,
      '--change-while-playing');
    expect(result.code, result.stderr).toBe(0);
    expect(lines.find((l) => l.signal === 'changed')).toMatchObject({ retention_period: 2, get_kvs_metrics: true });
    expect(lines.filter((l) => l.signal === 'warning').map((l) => l.message)).toEqual([
      'Property "retention-period" cannot change while the stream runs (it is read when the stream starts): the change ' +
      'was ignored. Set it before the pipeline leaves READY.']);
    // get-kvs-metrics took effect at once: key frames after the change are reported.
    expect(lines.filter((l) => l.signal === 'stream-client-metric').length).toBeGreaterThan(0);
  });

  it("stream-error passes the producer SDK's status for a fatal error, before the bus error", async () => {
    const { result, lines } = await python(`${source(30)} ! kvssink name=sink stream-name=signals-missing ${credentials()} allow-create-stream=false`);
    expect(result.timedOut).toBe(false);
    const errors = lines.filter((l) => l.signal === 'stream-error');
    // STATUS_SERVICE_CALL_RESOURCE_NOT_FOUND
    expect(errors.map((e) => e.status)).toEqual([0x52000017]);
    expect(lines.at(-1)).toMatchObject({ end: 'error' });
    expect(String(lines.at(-1)!.error)).toMatch(/"signals-missing" does not exist/);
    expect(lines.filter((l) => l.signal === 'stream-client-metric')).toEqual([]);
  });
});
