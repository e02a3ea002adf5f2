/**
 * The parameter matrix, one property at a time: for every property of the element, its
 * default, a valid non-default value and an invalid value, each through a real gst-launch-1.0
 * pipeline into the local endpoint, asserting the effect the endpoint (or the bus) shows.
 * Properties whose effects are independent share a pipeline; each pipeline runs once.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROPERTIES } from '../../src/config/schema.js';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { tempDir, TEST_ACCESS_KEY, TEST_SECRET_KEY } from '../integration/gst.js';
import {
  expectRefused, expectStreamed, FRAMES, mkvTimestampScaleNs, propertyCases, Runs, source, type Outcome,
} from './params.js';

const TOKEN_KEY = 'ASIAPARAMSEXAMPLE001';
const TOKEN_SECRET = 'paramsTemporarySecretKeyExample0000000000';
const TOKEN = 'params-session-token';
const FILE_START_TIME_S = 1_700_000_000;

let kvs: LocalKvs;
const runs = new Runs(() => kvs);
let credentialFile = '';

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('params-data'), credentials: [
    { accessKeyId: TEST_ACCESS_KEY, secretAccessKey: TEST_SECRET_KEY },
    { accessKeyId: TOKEN_KEY, secretAccessKey: TOKEN_SECRET, sessionToken: TOKEN },
  ] });
  credentialFile = join(tempDir('params-cred'), 'credential');
  writeFileSync(credentialFile, `CREDENTIALS ${TEST_ACCESS_KEY} ${TEST_SECRET_KEY}\n`);
  for (const stream of ['params-restart-false', 'params-restart-true']) {
    kvs.faults.add({ kind: 'drop-connection', afterFragments: 1, stream });
  }
  kvs.faults.add({ kind: 'withhold-acks', ms: 30_000, stream: 'params-stop' });
  kvs.faults.add({ kind: 'withhold-acks', ms: 5_000, stream: 'params-stale' });
  // Start every pipeline now: the cases below only read their outcomes.
  for (const run of Object.values(RUNS)) void run().catch(() => undefined);
});

afterAll(async () => {
  await kvs?.close();
});

const IOT = 'iot-certificate="iot-certificate,endpoint=abc.credentials.iot.us-west-2.amazonaws.com,' +
  'cert-path=/certs/cert.pem,key-path=/certs/key.pem,ca-path=/certs/ca.pem,role-aliases=params-role"';

/** The pipelines the cases read. */
const RUNS = {
  defaults: () => runs.sink('params-defaults', ''),
  missingStreamName: () => runs.pipeline('params-missing-name', `videotestsrc num-buffers=1 ! x264enc ! kvssink ${creds()}`),
  valid: () => runs.sink('params-valid', 'user-agent=params-agent/1.0 retention-period=5 content-type=video/x-params ' +
    'track-name=params_track codec-id=V_MPEG4/ISO/AVC_PARAMS stream-tags="tags,owner=params,site=lab" storage-size=10 ' +
    'get-kvs-metrics=true recalculate-metrics=false log-config=/nonexistent/kvs_log_configuration rotation-period=60 ' +
    'max-latency=10 stop-stream-timeout=30 connection-timeout=3 completion-timeout=20 buffer-duration=30 ' +
    'replay-duration=10 avg-bandwidth-bps=100000 disable-buffer-clipping=true fragment-acks=false'),
  iot: () => runs.sink('params-iot', `restart-on-error=false ${IOT}`),
  metrics: () => runs.sink('params-metrics', 'get-kvs-metrics=true', { keyInt: 5 }),
  keyFrameFragmentationOff: () => runs.sink('params-kff-false',
    'key-frame-fragmentation=false timecode-scale=10 absolute-fragment-times=false'),
  fragmentDuration: () => runs.sink('params-fragment-duration', 'key-frame-fragmentation=false fragment-duration=1000'),
  frameTimecodesOff: () => runs.sink('params-frame-timecodes', 'frame-timecodes=false'),
  offline: () => runs.sink('params-offline', `streaming-type=offline file-start-time=${FILE_START_TIME_S}`),
  offlineNow: () => runs.sink('params-offline-now', 'streaming-type=offline'),
  // The buffer timestamps are epoch times: the source starts at FILE_START_TIME_S.
  originalPts: () => runs.pipeline('params-original-pts', source().replace('videotestsrc ',
    `videotestsrc timestamp-offset=${FILE_START_TIME_S}000000000 `) +
    ` ! kvssink stream-name=params-original-pts ${creds()} use-original-pts=true`),
  region: () => runs.sink('params-region', 'aws-region=eu-west-1'),
  credentialFile: () => runs.sink('params-credential-path', `credential-path=${credentialFile}`, { credentials: '' }),
  noCredentials: () => runs.sink('params-no-credentials', '', { credentials: '' }),
  sessionToken: () => runs.sink('params-session-token', `session-token=${TOKEN}`,
    { credentials: `access-key=${TOKEN_KEY} secret-key=${TOKEN_SECRET}` }),
  missingToken: () => runs.sink('params-missing-token', '', { credentials: `access-key=${TOKEN_KEY} secret-key=${TOKEN_SECRET}` }),
  unknownKey: () => runs.sink('params-unknown-key', '', { credentials: `access-key=AKIDPARAMSUNKNOWN01 secret-key=${TEST_SECRET_KEY}` }),
  noCreate: () => runs.sink('params-no-create', 'allow-create-stream=false'),
  restartOff: () => runs.sink('params-restart-false', 'restart-on-error=false'),
  restartOn: () => runs.sink('params-restart-true', ''),
  warnings: () => runs.sink('params-warnings', 'avg-bandwidth-bps=8000000 framerate=50 buffer-duration=30 ' +
    'replay-duration=60 timecode-scale=0 connection-timeout=3 completion-timeout=2'),
  stopTimeout: () => runs.sink('params-stop', 'stop-stream-timeout=1'),
  staleness: () => runs.sink('params-stale', 'connection-staleness=1'),
};

function creds(): string {
  return `access-key=${TEST_ACCESS_KEY} secret-key=${TEST_SECRET_KEY}`;
}

/** A pipeline whose only change is `<name>=<value>`: it must be refused before anything streams. */
function refused(name: string, value: string): () => Promise<void> {
  return async () => {
    const o = await runs.sink(`params-invalid-${name}`, `${name}=${value}`);
    expectRefused(o, name);
  };
}

function nearNow(ms: number | undefined): void {
  expect(ms).toBeDefined();
  expect(Math.abs(ms! - Date.now())).toBeLessThan(5 * 60_000);
}

function warned(o: Outcome, pattern: RegExp): boolean {
  return o.output.split('\n').some((l) => l.startsWith('WARNING') && pattern.test(l));
}

function noWarnings(o: Outcome): void {
  expect(o.output.split('\n').filter((l) => l.startsWith('WARNING'))).toEqual([]);
}

function firstProducerMs(o: Outcome): number | undefined {
  return o.fragments[0]?.producerTimestampMs;
}

const streamed = (run: () => Promise<Outcome>) => async () => expectStreamed(await run());

propertyCases('stream-name', {
  default: { shows: 'none: required, the error says how to set it', check: async () => {
    const o = await RUNS.missingStreamName();
    expect(o.result.code).not.toBe(0);
    expect(o.output).toMatch(/^ERROR: .*Property "stream-name" is required and not set: set "stream-name" to/m);
  } },
  valid: { shows: 'the stream of that name is created and holds every frame', check: async () => {
    const o = await RUNS.valid();
    expectStreamed(o);
    expect(o.record?.streamName).toBe('params-valid');
  } },
  invalid: { shows: '"bad/name" is refused (1-256 of [a-zA-Z0-9_.-])', check: async () => {
    const o = await runs.sink('params-invalid-stream-name', 'stream-name=bad/name');
    expectRefused(o, 'stream-name');
    expect(o.output).toMatch(/Invalid value "bad\/name" for property "stream-name": allowed are 1 to 256 characters of \[a-zA-Z0-9_.-\]/);
  } },
});

propertyCases('user-agent', {
  default: { shows: 'AWS-SDK-KVS-CPP-CLIENT (and our product token) reaches PutMedia', check: async () => {
    expect((await RUNS.defaults()).sessions[0]?.userAgent).toMatch(/^AWS-SDK-KVS-CPP-CLIENT kvssink\//);
  } },
  valid: { shows: 'a custom agent reaches PutMedia', check: async () => {
    expect((await RUNS.valid()).sessions[0]?.userAgent).toMatch(/^params-agent\/1\.0 kvssink\//);
  } },
  invalid: { shows: '257 characters are refused', check: refused('user-agent', 'a'.repeat(257)) },
});

propertyCases('retention-period', {
  default: { shows: 'a created stream keeps 2 hours', check: async () => {
    expect((await RUNS.defaults()).record?.dataRetentionInHours).toBe(2);
  } },
  valid: { shows: '5 hours', check: async () => expect((await RUNS.valid()).record?.dataRetentionInHours).toBe(5) },
  invalid: { shows: '87601 (over 10 years) is refused', check: refused('retention-period', '87601') },
});

propertyCases('streaming-type', {
  default: { shows: 'realtime: producer times are the current time', check: async () => nearNow(firstProducerMs(await RUNS.defaults())) },
  valid: { shows: 'offline: producer times start at file-start-time', check: async () => {
    const o = await RUNS.offline();
    expectStreamed(o);
    expect(firstProducerMs(o)).toBe(FILE_START_TIME_S * 1000);
  } },
  invalid: { shows: '7 is refused', check: refused('streaming-type', '7') },
});

propertyCases('content-type', {
  default: { shows: 'video/h264 (from the caps) on the created stream', check: async () => {
    expect((await RUNS.defaults()).record?.mediaType).toBe('video/h264');
  } },
  valid: { shows: 'a set content type is the stream\'s media type', check: async () => {
    expect((await RUNS.valid()).record?.mediaType).toBe('video/x-params');
  } },
  invalid: { shows: '129 characters are refused', check: refused('content-type', `video/${'x'.repeat(123)}`) },
});

propertyCases('max-latency', {
  default: { shows: '60 s: streams', check: streamed(RUNS.defaults) },
  valid: { shows: '10 s: streams (latency pressure belongs to the network issue)', check: streamed(RUNS.valid) },
  invalid: { shows: 'a non-number is refused by GStreamer', check: refused('max-latency', 'soon') },
});

propertyCases('fragment-duration', {
  default: { shows: '2000 ms: 2 s of frames without key-frame fragmentation is one fragment', check: async () => {
    const o = await RUNS.keyFrameFragmentationOff();
    expectStreamed(o);
    expect(o.fragments.map((f) => f.frameCount)).toEqual([FRAMES]);
  } },
  valid: { shows: '1000 ms: two fragments of 30 frames', check: async () => {
    const o = await RUNS.fragmentDuration();
    expectStreamed(o);
    expect(o.fragments.map((f) => f.frameCount)).toEqual([30, 30]);
  } },
  invalid: { shows: '999 ms is refused (PutMedia fragments are 1-10 s)', check: refused('fragment-duration', '999') },
});

propertyCases('timecode-scale', {
  default: { shows: '1 ms: the MKV TimestampScale is 1000000 ns', check: async () => {
    expect(mkvTimestampScaleNs((await RUNS.defaults()).mkv)).toBe(1_000_000);
  } },
  valid: { shows: '10 ms, and 0 means the default with a warning', check: async () => {
    expect(mkvTimestampScaleNs((await RUNS.keyFrameFragmentationOff()).mkv)).toBe(10_000_000);
    const zero = await RUNS.warnings();
    expectStreamed(zero);
    expect(mkvTimestampScaleNs(zero.mkv)).toBe(1_000_000);
    expect(warned(zero, /Property "timecode-scale" is 0, which means the default: 1 ms/)).toBe(true);
  } },
  invalid: { shows: '1001 ms is refused (100 ns to 1 s)', check: refused('timecode-scale', '1001') },
});

propertyCases('key-frame-fragmentation', {
  default: { shows: 'true: a fragment at the key frames (at least 1 s apart)', check: async () => {
    const o = await RUNS.defaults();
    expectStreamed(o);
    expect(o.fragments.map((f) => f.frameCount)).toEqual([30, 30]);
  } },
  valid: { shows: 'false: fragments follow fragment-duration', check: async () => {
    expect((await RUNS.keyFrameFragmentationOff()).fragments).toHaveLength(1);
  } },
  invalid: { shows: '"sometimes" is refused by GStreamer', check: refused('key-frame-fragmentation', 'sometimes') },
});

propertyCases('frame-timecodes', {
  default: { shows: 'true: the buffer timestamps (2 s of frames)', check: async () => {
    const o = await RUNS.defaults();
    expect(o.fragments.at(-1)!.producerTimestampMs - o.fragments[0]!.producerTimestampMs).toBe(1000);
  } },
  valid: { shows: 'false: arrival times, so a fast non-live source fits in one fragment', check: async () => {
    const o = await RUNS.frameTimecodesOff();
    expectStreamed(o);
    expect(o.fragments).toHaveLength(1);
    expect(o.fragments[0]!.durationMs).toBeLessThan(1000);
  } },
  invalid: { shows: '"maybe" is refused by GStreamer', check: refused('frame-timecodes', 'maybe') },
});

propertyCases('absolute-fragment-times', {
  default: { shows: 'ABSOLUTE fragment timecodes', check: async () => {
    expect((await RUNS.defaults()).sessions[0]?.timecodeType).toBe('ABSOLUTE');
  } },
  valid: { shows: 'false: RELATIVE, with a producer start timestamp', check: async () => {
    const o = await RUNS.keyFrameFragmentationOff();
    expect(o.sessions[0]?.timecodeType).toBe('RELATIVE');
    nearNow(o.sessions[0]?.producerStartTimestampMs ?? undefined);
    nearNow(firstProducerMs(o));
  } },
  invalid: { shows: '"maybe" is refused by GStreamer', check: refused('absolute-fragment-times', 'maybe') },
});

propertyCases('fragment-acks', {
  default: { shows: 'ACKs are requested', check: async () => expect((await RUNS.defaults()).sessions[0]?.ackRequired).toBe('1') },
  valid: { shows: 'false: ACKs are not requested, and the stream still completes', check: async () => {
    const o = await RUNS.valid();
    expectStreamed(o);
    expect(o.sessions[0]?.ackRequired).toBe('0');
  } },
  invalid: { shows: '"maybe" is refused by GStreamer', check: refused('fragment-acks', 'maybe') },
});

propertyCases('restart-on-error', {
  default: { shows: 'true: a dropped connection is resumed and every frame arrives', check: async () => {
    const o = await RUNS.restartOn();
    expectStreamed(o);
    expect(o.sessions.length).toBeGreaterThanOrEqual(2);
  } },
  valid: { shows: 'false: the same dropped connection is an error', check: async () => {
    const o = await RUNS.restartOff();
    expect(o.result.timedOut).toBe(false);
    expect(o.result.code).not.toBe(0);
    expect(o.output).toMatch(/^ERROR: from element .*kvssink/m);
  } },
  invalid: { shows: '"maybe" is refused by GStreamer', check: refused('restart-on-error', 'maybe') },
});

/** The stream-client-metric messages of a run, as numbers. */
function metrics(o: Outcome): Record<string, number | string>[] {
  return o.messages('kvs-stream-client-metric').map((m) => Object.fromEntries(Object.entries(m)
    .map(([k, v]) => [k, /^\d+$/.test(v) ? Number(v) : v])));
}

propertyCases('recalculate-metrics', {
  default: { shows: 'true: every report is recalculated (the unsent view shrinks as the worker reads)', check: async () => {
    const reports = metrics(await RUNS.metrics());
    expect(reports.length).toBeGreaterThanOrEqual(FRAMES / 5);
    expect(new Set(reports.map((r) => r['current-view-size'])).size).toBeGreaterThan(2);
  } },
  valid: { shows: 'false: at most once per second, so a burst of key frames repeats the first figures', check: async () => {
    const reports = metrics(await RUNS.valid());
    expect(reports.length).toBe(FRAMES / 15);
    expect(new Set(reports.map((r) => r['current-view-size'])).size).toBe(1);
  } },
  invalid: { shows: '"maybe" is refused by GStreamer', check: refused('recalculate-metrics', 'maybe') },
});

propertyCases('framerate', {
  default: { shows: '25: with the other defaults no sizing warning', check: async () => noWarnings(await RUNS.defaults()) },
  valid: { shows: '50: the sizing check states the frame size it implies', check: async () => {
    expect(warned(await RUNS.warnings(), /about 160000 bytes per frame at framerate 50/)).toBe(true);
  } },
  invalid: { shows: 'a non-number is refused by GStreamer', check: refused('framerate', 'fast') },
});

propertyCases('avg-bandwidth-bps', {
  default: { shows: '4194304: no sizing warning with the defaults', check: async () => noWarnings(await RUNS.defaults()) },
  valid: { shows: '100000 fits storage-size 10 MB; 8000000 for 30 s does not fit 128 MB and says so', check: async () => {
    expect(warned(await RUNS.valid(), /storage-size/)).toBe(false);
    expect(warned(await RUNS.warnings(), /"storage-size" \(128 MB\) is smaller than the 275 MB that "buffer-duration" \(30 s\) needs at "avg-bandwidth-bps" \(8000000/))
      .toBe(true);
  } },
  invalid: { shows: 'a non-number is refused by GStreamer', check: refused('avg-bandwidth-bps', 'fast') },
});

propertyCases('buffer-duration', {
  default: { shows: '180 s: streams', check: streamed(RUNS.defaults) },
  valid: { shows: '30 s bounds replay-duration (a longer replay is replaced, with a warning)', check: async () => {
    const o = await RUNS.warnings();
    expectStreamed(o);
    expect(warned(o, /"replay-duration" \(60 s\) is longer than "buffer-duration" \(30 s\): 30 s is used/)).toBe(true);
  } },
  invalid: { shows: '19 s is refused (the minimum is 20 s)', check: refused('buffer-duration', '19') },
});

propertyCases('replay-duration', {
  default: { shows: '40 s: streams, no warning', check: async () => noWarnings(await RUNS.defaults()) },
  valid: { shows: '10 s: streams without a warning', check: async () => {
    const o = await RUNS.valid();
    expectStreamed(o);
    expect(warned(o, /replay-duration/)).toBe(false);
  } },
  invalid: { shows: 'a non-number is refused by GStreamer', check: refused('replay-duration', 'long') },
});

propertyCases('connection-staleness', {
  default: { shows: '60 s: one PutMedia session', check: async () => expect((await RUNS.defaults()).sessions).toHaveLength(1) },
  valid: { shows: '1 s: ACKs withheld for 5 s make it reconnect and resend', check: async () => {
    const o = await RUNS.staleness();
    expect(o.result.code, o.output).toBe(0);
    // The fragments of the silent session are stored too: the resent ones arrive twice.
    expect(o.fragments.reduce((n, f) => n + f.frameCount, 0)).toBeGreaterThanOrEqual(FRAMES);
    expect(o.sessions.length).toBeGreaterThanOrEqual(2);
    expect(o.output).toMatch(/No acknowledgement from KVS for .* \(connection-staleness 1 s\)/);
  } },
  invalid: { shows: 'a non-number is refused by GStreamer', check: refused('connection-staleness', 'stale') },
});

propertyCases('codec-id', {
  default: { shows: 'V_MPEG4/ISO/AVC from the H.264 caps', check: async () => {
    expect((await RUNS.defaults()).mkv).toContain('Codec ID: V_MPEG4/ISO/AVC\n');
  } },
  valid: { shows: 'a set codec id is the track\'s CodecID', check: async () => {
    expect((await RUNS.valid()).mkv).toContain('Codec ID: V_MPEG4/ISO/AVC_PARAMS');
  } },
  invalid: { shows: '33 characters are refused', check: refused('codec-id', `V_${'X'.repeat(31)}`) },
});

propertyCases('track-name', {
  default: { shows: 'kinesis_video', check: async () => expect((await RUNS.defaults()).mkv).toContain('Name: kinesis_video') },
  valid: { shows: 'params_track', check: async () => expect((await RUNS.valid()).mkv).toContain('Name: params_track') },
  invalid: { shows: '33 characters are refused', check: refused('track-name', 't'.repeat(33)) },
});

propertyCases('access-key', {
  default: { shows: 'unset: with no other credentials the error lists where to put them', check: async () => {
    const o = await RUNS.noCredentials();
    expect(o.result.code).not.toBe(0);
    expect(o.output).toMatch(/^ERROR: .*No AWS credentials found\. Provide them with one of: the "access-key" and "secret-key"/m);
  } },
  valid: { shows: 'the endpoint\'s key streams', check: streamed(RUNS.defaults) },
  invalid: { shows: 'a key with a "-" is refused', check: refused('access-key', 'AKID-PARAMS') },
});

propertyCases('secret-key', {
  default: { shows: 'unset: no credentials', check: async () => expect((await RUNS.noCredentials()).result.code).not.toBe(0) },
  valid: { shows: 'the right secret streams', check: streamed(RUNS.defaults) },
  invalid: { shows: '10001 characters are refused, and not echoed', check: async () => {
    const secret = 'S'.repeat(10_001);
    const o = await runs.sink('params-invalid-secret-key', `secret-key=${secret}`);
    expectRefused(o, 'secret-key');
    expect(o.output).not.toContain('SSSSSSSS');
  } },
});

propertyCases('session-token', {
  default: { shows: 'unset: long-term keys stream without one', check: streamed(RUNS.defaults) },
  valid: { shows: 'temporary credentials stream with their token', check: streamed(RUNS.sessionToken) },
  invalid: { shows: '10001 characters are refused', check: refused('session-token', 'T'.repeat(10_001)) },
});

propertyCases('aws-region', {
  default: { shows: 'us-west-2, the endpoint\'s region, streams', check: streamed(RUNS.defaults) },
  valid: { shows: 'eu-west-1 is signed for: the us-west-2 endpoint\'s refusal is named as a region mismatch', check: async () => {
    const o = await RUNS.region();
    expect(o.result.code).not.toBe(0);
    expect(o.output).toMatch(/^ERROR: .*signed for region "eu-west-1".*Credential should be scoped to a valid region.*set aws-region/m);
    expect(o.output).not.toMatch(/^ERROR: .*secret-key/m);
  } },
  invalid: { shows: '"US_WEST_2" is refused', check: refused('aws-region', 'US_WEST_2') },
});

propertyCases('rotation-period', {
  default: { shows: '2400 s: streams', check: streamed(RUNS.defaults) },
  valid: { shows: '60 s: streams (rotation itself: test/integration/network.test.ts)', check: streamed(RUNS.valid) },
  invalid: { shows: 'a non-number is refused by GStreamer', check: refused('rotation-period', 'hourly') },
});

propertyCases('log-config', {
  default: { shows: 'accepted and ignored: streams', check: streamed(RUNS.defaults) },
  valid: { shows: 'a missing file is fine: logs go through GST_DEBUG', check: streamed(RUNS.valid) },
  invalid: { shows: 'a path of 4097 characters is refused', check: refused('log-config', `/${'l'.repeat(4096)}`) },
});

propertyCases('storage-size', {
  default: { shows: '128 MB: the content store the metrics report', check: async () => {
    expect(metrics(await RUNS.metrics())[0]?.['content-store-size']).toBe(128 * 1024 * 1024);
  } },
  valid: { shows: '10 MB, the minimum', check: async () => {
    expect(metrics(await RUNS.valid())[0]?.['content-store-size']).toBe(10 * 1024 * 1024);
  } },
  invalid: { shows: '9 MB is refused (10 MiB to 10 GiB)', check: async () => {
    const o = await runs.sink('params-invalid-storage-size', 'storage-size=9');
    expectRefused(o, 'storage-size');
    expect(o.output).toMatch(/Invalid value 9 for property "storage-size": allowed are 10 to 10240 megabytes/);
  } },
});

propertyCases('stop-stream-timeout', {
  default: { shows: '120 s: an EOS with ACKs coming ends at once', check: streamed(RUNS.defaults) },
  valid: { shows: '1 s: with ACKs withheld, EOS comes after it, with a warning', check: async () => {
    const started = Date.now();
    const o = await RUNS.stopTimeout();
    expect(o.result.code, o.output).toBe(0);
    expect(Date.now() - started).toBeLessThan(25_000);
    expect(o.output).toMatch(/stop-stream-timeout/);
  } },
  invalid: { shows: 'a non-number is refused by GStreamer', check: refused('stop-stream-timeout', 'never') },
});

propertyCases('connection-timeout', {
  default: { shows: '5 s: streams', check: streamed(RUNS.defaults) },
  valid: { shows: '3 s streams; with completion-timeout 2 s both defaults are used, with a warning', check: async () => {
    expectStreamed(await RUNS.valid());
    expect(warned(await RUNS.warnings(), /"completion-timeout" \(2 s\) is not more than "connection-timeout" \(3 s\)/)).toBe(true);
  } },
  invalid: { shows: 'a non-number is refused by GStreamer', check: refused('connection-timeout', 'slow') },
});

propertyCases('completion-timeout', {
  default: { shows: '10 s: streams', check: streamed(RUNS.defaults) },
  valid: { shows: '20 s: streams without a warning', check: async () => {
    expect(warned(await RUNS.valid(), /completion-timeout/)).toBe(false);
  } },
  invalid: { shows: 'a non-number is refused by GStreamer', check: refused('completion-timeout', 'slow') },
});

propertyCases('credential-path', {
  default: { shows: '.kvs/credential (absent): no credentials', check: async () => {
    expect((await RUNS.noCredentials()).result.code).not.toBe(0);
  } },
  valid: { shows: 'a CREDENTIALS file streams without key properties', check: streamed(RUNS.credentialFile) },
  invalid: { shows: 'a path of 4097 characters is refused', check: refused('credential-path', `/${'c'.repeat(4096)}`) },
});

propertyCases('iot-certificate', {
  default: { shows: 'none: streams with the keys', check: streamed(RUNS.defaults) },
  valid: { shows: 'a complete structure is used for credentials (over the keys): its device certificate is read', check: async () => {
    const o = await RUNS.iot();
    expect(o.result.code).not.toBe(0);
    expect(o.output).toMatch(/^ERROR: .*"iot-certificate" cert-path \/certs\/cert\.pem cannot be read \(ENOENT\)/m);
  } },
  invalid: { shows: 'a structure without role-aliases is refused, naming the field', check: async () => {
    const o = await runs.sink('params-invalid-iot-certificate', 'iot-certificate="iot-certificate,endpoint=e,cert-path=c,key-path=k,ca-path=a"');
    expectRefused(o, 'iot-certificate');
    expect(o.output).toMatch(/field "role-aliases" is missing/);
  } },
});

propertyCases('stream-tags', {
  default: { shows: 'no tags on the created stream', check: async () => expect((await RUNS.defaults()).record?.tags).toEqual({}) },
  valid: { shows: 'the tags of the structure', check: async () => {
    expect((await RUNS.valid()).record?.tags).toEqual({ owner: 'params', site: 'lab' });
  } },
  invalid: { shows: 'a number value is refused (tags are strings)', check: async () => {
    const o = await runs.sink('params-invalid-stream-tags', 'stream-tags="tags,count=5"');
    expectRefused(o, 'stream-tags');
    expect(o.output).toMatch(/field "count" is a gint, not a string/);
  } },
});

propertyCases('file-start-time', {
  default: { shows: '0: an offline upload starts now', check: async () => {
    const o = await RUNS.offlineNow();
    expectStreamed(o);
    nearNow(firstProducerMs(o));
  } },
  valid: { shows: 'an epoch in seconds is the first producer timestamp', check: async () => {
    expect(firstProducerMs(await RUNS.offline())).toBe(FILE_START_TIME_S * 1000);
  } },
  invalid: { shows: 'an epoch in milliseconds is refused', check: refused('file-start-time', String(FILE_START_TIME_S * 1000)) },
});

propertyCases('disable-buffer-clipping', {
  default: { shows: 'false: every frame inside the segment arrives', check: streamed(RUNS.defaults) },
  valid: { shows: 'true: every frame arrives', check: streamed(RUNS.valid) },
  invalid: { shows: '"maybe" is refused by GStreamer', check: refused('disable-buffer-clipping', 'maybe') },
});

propertyCases('use-original-pts', {
  default: { shows: 'false: producer times are the current time', check: async () => nearNow(firstProducerMs(await RUNS.defaults())) },
  valid: { shows: 'true: the buffer PTS is the epoch time of the frame', check: async () => {
    const o = await RUNS.originalPts();
    expectStreamed(o);
    expect(firstProducerMs(o)).toBe(FILE_START_TIME_S * 1000);
  } },
  invalid: { shows: '"maybe" is refused by GStreamer', check: refused('use-original-pts', 'maybe') },
});

propertyCases('get-kvs-metrics', {
  default: { shows: 'false: no metrics messages', check: async () => expect(metrics(await RUNS.defaults())).toEqual([]) },
  valid: { shows: 'true: a kvs-stream-client-metric message at the first frame and every key frame', check: async () => {
    const reports = metrics(await RUNS.valid());
    const first = Number(reports[0]?.['frame-pts']);
    expect(reports.map((r) => Number(r['frame-pts']) - first)).toEqual([0, 500_000_000, 1_000_000_000, 1_500_000_000]);
    expect(reports[0]?.['on-first-frame']).toBe('true');
  } },
  invalid: { shows: '"maybe" is refused by GStreamer', check: refused('get-kvs-metrics', 'maybe') },
});

propertyCases('allow-create-stream', {
  default: { shows: 'true: a missing stream is created', check: async () => expect((await RUNS.defaults()).record).toBeDefined() },
  valid: { shows: 'false: a missing stream is an error saying how to create it', check: async () => {
    const o = await RUNS.noCreate();
    expect(o.result.code).not.toBe(0);
    expect(o.output).toMatch(/^ERROR: .*"params-no-create" does not exist: create it/m);
    expect(o.record).toBeUndefined();
  } },
  invalid: { shows: '"maybe" is refused by GStreamer', check: refused('allow-create-stream', 'maybe') },
});

describe('the matrix', () => {
  it('has the three cases of every property of the schema', async () => {
    const { findPropertyTests } = await import('../../src/config/codegen.js');
    const tested = findPropertyTests(join(import.meta.dirname, '..', '..'));
    expect(PROPERTIES.filter((p) => !tested.has(p.name)).map((p) => p.name)).toEqual([]);
  });
});

describe('errors name the real cause', () => {
  it('temporary credentials without their session token', async () => {
    const o = await RUNS.missingToken();
    expect(o.result.code).not.toBe(0);
    expect(o.output).toMatch(/^ERROR: .*is temporary \(it starts with ASIA\) but no session token was sent: set session-token/m);
  });

  it('a clock more than 15 minutes off', async () => {
    const skewed = await startLocalKvs({ dataDir: tempDir('params-skewed'), clockOffsetMs: 20 * 60_000 });
    try {
      const o = await new Runs(() => skewed).sink('params-clock-skew', '');
      expect(o.result.code).not.toBe(0);
      expect(o.output).toMatch(/^ERROR: .*AWS rejected the request time \(RequestExpired: Signature expired.*the system clock is off by more than 15 minutes; fix it \(NTP/m);
    } finally {
      await skewed.close();
    }
  });

  it('an access key the service does not know', async () => {
    const o = await RUNS.unknownKey();
    expect(o.result.code).not.toBe(0);
    expect(o.output).toMatch(/^ERROR: .*AWS does not recognize the access key id AKID…WN01: check access-key/m);
  });
});
