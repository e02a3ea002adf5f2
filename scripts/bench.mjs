// kvssink benchmark: ours, and with --reference the official C++ kvssink, side by side in one
// run on the same workloads and the same local endpoint. Figures, not pass/fail: it never exits
// non-zero because a goal was missed.
//
//   scripts/bench [--reference DIR] [--only LIST] [--runs N] [--quick] [--soak]
//                 [--live-seconds S] [--multi-seconds S] [--streams N] [--offline-frames N]
//                 [--soak-seconds S]
//
// LIST: comma-separated of live (CPU, PSS, latency), offline, startup, multi (16 streams), ring.
// Env equivalents: BENCH_REFERENCE, BENCH_ONLY, BENCH_RUNS, BENCH_LIVE_SECONDS (30),
// BENCH_MULTI_SECONDS (20), BENCH_STREAMS (16), BENCH_FRAMES (30000), BENCH_SOAK_SECONDS (600).
// --quick: 1 run, 10 s live, 10 s multi, 3000 offline frames, 120 s soak (about 2 minutes).
//
// CPU: user+sys of gst-launch and all its descendants (the runner is a child subreaper and
// reaps orphans too), minus the same pipeline into fakesink (the floor) in the same run; the
// endpoint is its own process and never counted. PSS: sum of Pss over the tree, every 100 ms.
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import {
  encodedFile, median, prepareReference, root, runPipeline, startEndpoint, warmRegistry,
} from './bench-lib.mjs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const { values: flags } = parseArgs({
  options: {
    reference: { type: 'string' }, only: { type: 'string' }, runs: { type: 'string' },
    quick: { type: 'boolean', default: false }, soak: { type: 'boolean', default: false },
    'live-seconds': { type: 'string' }, 'multi-seconds': { type: 'string' }, streams: { type: 'string' },
    'offline-frames': { type: 'string' }, 'soak-seconds': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (flags.help) {
  console.log('usage: scripts/bench [--reference DIR] [--only live,offline,startup,multi,ring] [--runs N] [--quick] [--soak]\n' +
    '                    [--live-seconds S] [--multi-seconds S] [--streams N] [--offline-frames N] [--soak-seconds S]');
  process.exit(0);
}
const quick = flags.quick || process.env.BENCH_QUICK === '1';
const num = (flag, envName, full, quickValue) => Number(flags[flag] ?? process.env[envName] ?? (quick ? quickValue : full));
const RUNS = num('runs', 'BENCH_RUNS', 3, 1);
const LIVE_S = num('live-seconds', 'BENCH_LIVE_SECONDS', 30, 10);
const MULTI_S = num('multi-seconds', 'BENCH_MULTI_SECONDS', 20, 10);
const STREAMS = num('streams', 'BENCH_STREAMS', 16, 16);
const FRAMES = num('offline-frames', 'BENCH_FRAMES', 30000, 3000);
const SOAK_S = num('soak-seconds', 'BENCH_SOAK_SECONDS', 600, 120);
const STARTUP_FRAMES = 30;
const ALIASES = { throughput: 'offline', pss: 'live', latency: 'live', cpu: 'live' };
const ONLY = new Set((flags.only ?? process.env.BENCH_ONLY ?? 'live,offline,startup,multi,ring')
  .split(',').map((s) => s.trim()).filter(Boolean).map((s) => ALIASES[s] ?? s));
if (flags.soak) ONLY.add('soak');
for (const w of ONLY) {
  if (!['live', 'offline', 'startup', 'multi', 'ring', 'soak'].includes(w)) {
    console.log(`unknown workload "${w}" in --only (live, offline, startup, multi, ring, soak)`);
    process.exit(2);
  }
}
const REFERENCE = flags.reference ?? process.env.BENCH_REFERENCE;

const CREDS = 'access-key=AKIDEXAMPLE secret-key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws-region=us-west-2';
const MiB = (kb) => kb / 1024;
const f2 = (x, d = 2) => (x === undefined || Number.isNaN(x) ? 'n/a' : x.toFixed(d));
const warnings = [];
const crashes = {};
const warn = (s) => {
  warnings.push(s);
  console.log(`  WARNING: ${s}`);
};

// ---- the two implementations ------------------------------------------------------------
const scratch = mkdtempSync(join(tmpdir(), 'kvssink-bench-'));
const baseEnv = { ...process.env };
for (const k of Object.keys(baseEnv)) if (/^(AWS_|GST_PLUGIN_PATH|GST_REGISTRY|CONTROL_PLANE_URI)/.test(k)) delete baseEnv[k];
const kvs = await startEndpoint();
const impls = [{
  key: 'ours', label: 'ours',
  env: { ...baseEnv, GST_PLUGIN_PATH: join(root, 'build-gst'), GST_REGISTRY: join(scratch, 'ours.bin'),
    AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url, AWS_EC2_METADATA_DISABLED: 'true' },
  sink: (name, extra = '') => `kvssink stream-name=${name} ${CREDS} ${extra}`,
}];
let refNote = '';
if (REFERENCE) {
  const { dir, problem } = prepareReference(REFERENCE);
  const env = { ...baseEnv, GST_PLUGIN_PATH: join(dir, 'build'), GST_REGISTRY: join(scratch, 'ref.bin'),
    CONTROL_PLANE_URI: kvs.url, AWS_EC2_METADATA_DISABLED: 'true' };
  const loadProblem = problem ?? warmRegistry(env);
  if (loadProblem) {
    refNote = `reference not run: ${loadProblem}`;
    console.log(`WARNING: ${refNote}`);
  } else {
    impls.push({
      key: 'ref', label: 'reference', dir, env,
      sink: (name, extra = '') => `kvssink stream-name=${name} ${CREDS} log-config=${join(dir, 'kvs_log_configuration')} ${extra}`,
    });
  }
}
const ourProblem = warmRegistry(impls[0].env);
if (ourProblem) console.log(`WARNING: our element does not load: ${ourProblem}`);
// Registries are warm now: no measured run may rescan plugins (gst-plugin-scanner's CPU and
// PSS would land in that run's tree).
for (const impl of impls) impl.env.GST_REGISTRY_UPDATE = 'no';
const floorEnv = impls[0].env;
const hasRef = impls.length > 1;

console.log(`kvssink benchmark: ${hasRef ? 'ours vs the official kvssink (interleaved)' : 'ours alone'}; ` +
  `local endpoint ${kvs.url} (pid ${kvs.pid}, fsync off, no rate caps); ${RUNS} run(s), medians; ` +
  `live ${LIVE_S} s, multi ${STREAMS}x${MULTI_S} s, offline ${FRAMES} frames${process.env.BENCH_NOTE ? `; ${process.env.BENCH_NOTE}` : ''}`);

// ---- results --------------------------------------------------------------------------------
/** summary rows: {figure, ours, ref, ratio, goal, met} (strings) */
const rows = [];
function row(figure, ours, ref, { unit = '', digits = 2, goal = '', met, ratio } = {}) {
  const fmt = (x) => (x === undefined ? 'n/a' : `${x.toFixed(digits)}${unit}`);
  // A ratio to a figure at or below zero (a sink cheaper than the noise of its floor) means nothing.
  const r = ratio ?? (ours !== undefined && ref !== undefined && ref > 0 ? ours / ref : undefined);
  rows.push({ figure, ours: fmt(ours), ref: hasRef ? fmt(ref) : '-', ratio: r === undefined || Number.isNaN(r) || !hasRef ? '-' : `${r.toFixed(2)}`,
    goal: goal || '-', met: met === undefined ? '-' : met ? 'yes' : 'NO' });
}

async function checkStored(streams, expectedFrames, what) {
  let frames = 0, fragments = 0;
  for (const s of streams) {
    const c = await kvs.count(s);
    frames += c.frames;
    fragments += c.fragments;
    if (c.frames < expectedFrames) warn(`${what}: stream ${s} stored ${c.frames} of ${expectedFrames} frames (${c.fragments} fragments): frames lost`);
  }
  return { frames, fragments };
}

function describeFailure(what, r) {
  warn(`${what} failed (rc ${r.rc}${r.timedOut ? ', timed out' : ''}); excluded from the medians`);
  if (r.tail) console.log(r.tail.split('\n').slice(-15).map((l) => `    | ${l}`).join('\n'));
}

// ---- workloads ----------------------------------------------------------------------------------
const parse = (file) => `filesrc location=${file} ! qtdemux ! h264parse ! video/x-h264,stream-format=avc,alignment=au`;
let seq = 0;
const streamName = (kind, impl) => `bench-${kind}-${impl}-${Date.now().toString(36)}-${seq++}`;

/**
 * One workload: for each run, the floor then every implementation (ours, ref, ours, ref, ...).
 * `build(sink)` gives the pipeline given a function name -> sink element; `streams` stream names
 * per run. Returns per impl: arrays of {cpuS (minus floor), treeCpuS, peakPssKb, maxProcs, closed}.
 */
async function workload(kind, { pipeline, streamsPerRun = 1, expectedFrames, timeoutS, extra = '' }) {
  const out = { floor: [] };
  for (const impl of impls) out[impl.key] = [];
  for (let i = 0; i < RUNS; i++) {
    const floor = await runPipeline(pipeline(() => 'fakesink'), floorEnv, { timeoutS });
    if (!floor.ok) {
      describeFailure(`${kind} floor run ${i + 1}`, floor);
      continue;
    }
    out.floor.push(floor);
    console.log(`  ${kind} run ${i + 1} floor: CPU ${f2(floor.cpuS)} s, wall ${f2(floor.wallS, 1)} s, PSS ${f2(MiB(floor.peakPssKb), 1)} MiB`);
    for (const impl of impls) {
      const names = [];
      const extraFor = typeof extra === 'function' ? extra(impl) : extra;
      const p = pipeline(() => {
        const n = streamName(kind, impl.key);
        names.push(n);
        return impl.sink(n, extraFor);
      });
      const kvsCpu0 = await kvs.cpuS();
      const r = await runPipeline(p, impl.env, { timeoutS });
      const kvsCpuS = (await kvs.cpuS()) - kvsCpu0;
      const stored = await checkStored(names, expectedFrames, `${kind} ${impl.label} run ${i + 1}`);
      if (!r.ok) {
        // A crash on the way out, after the EOS reached the sink and every frame was stored,
        // leaves valid figures (the official element does this now and then): keep the run.
        const complete = stored.frames >= expectedFrames * names.length;
        if (r.signal && r.eos && complete && !r.timedOut) {
          crashes[impl.key] = (crashes[impl.key] ?? 0) + 1;
          warn(`${kind} ${impl.label} run ${i + 1}: gst-launch died of signal ${r.signal} after EOS, all frames stored; run kept`);
        } else {
          describeFailure(`${kind} ${impl.label} run ${i + 1}`, r);
          continue;
        }
      }
      const res = { ...r, sinkCpuS: r.cpuS - floor.cpuS, floorCpuS: floor.cpuS, floorPssKb: floor.peakPssKb, stored };
      out[impl.key].push(res);
      const c = r.closed;
      const extraInfo = impl.key === 'ours' && c.length
        ? `; worker CPU ${f2(Math.max(...c.map((m) => m['worker-cpu-ms'] ?? 0)) / 1000)} s, p99 ${f2(median(c.map((m) => m['latency-p99-ms'])))} ms, dropped ${c.reduce((a, m) => a + (m['dropped-frames'] ?? 0), 0)}`
        : '';
      console.log(`  ${kind} run ${i + 1} ${impl.label}: CPU ${f2(r.cpuS)} s (sink ${f2(res.sinkCpuS)} s), wall ${f2(r.wallS, 1)} s, ` +
        `PSS ${f2(MiB(r.peakPssKb), 1)} MiB, ${r.maxProcs} proc(s); stored ${stored.frames}/${expectedFrames * names.length} frames, ` +
        `${stored.fragments} fragments; endpoint CPU ${f2(kvsCpuS)} s${extraInfo}${r.stragglers ? `; ${r.stragglers} process(es) outlived gst-launch` : ''}`);
    }
  }
  return out;
}

const med = (arr, f) => median(arr.map(f));
const sumClosed = (r, field) => r.closed.reduce((a, m) => a + (m[field] ?? 0), 0);

async function live() {
  const media = encodedFile(LIVE_S * 30);
  console.log(`\n== live: ${media.frames} frames (${f2(media.bytes / media.frames / 1000, 1)} KB avg) in real time, identity sync=true, realtime`);
  const res = await workload('live', {
    pipeline: (sink) => `${parse(media.file)} ! identity sync=true ! ${sink()}`,
    expectedFrames: media.frames, timeoutS: LIVE_S * 3 + 120,
  });
  const o = med(res.ours, (r) => r.sinkCpuS);
  const rf = hasRef ? med(res.ref, (r) => r.sinkCpuS) : undefined;
  row('live: sink CPU-s (tree - floor)', o, rf, { unit: ' s', goal: 'ratio <= 0.7', met: hasRef && o !== undefined && rf !== undefined ? o / rf <= 0.7 : undefined });
  row('live: sink CPU-ms / frame', o === undefined ? undefined : (o / media.frames) * 1000, rf === undefined ? undefined : (rf / media.frames) * 1000, { unit: ' ms', digits: 3 });
  row('live: floor CPU-s (fakesink)', med(res.floor, (r) => r.cpuS), undefined, { unit: ' s', ratio: undefined });
  const po = med(res.ours, (r) => MiB(r.peakPssKb));
  const pr = hasRef ? med(res.ref, (r) => MiB(r.peakPssKb)) : undefined;
  row('PSS 1 stream: peak tree MiB', po, pr, { unit: ' MiB', digits: 1, goal: '<= ref + 40 MiB',
    met: hasRef && po !== undefined && pr !== undefined ? po <= pr + 40 : undefined });
  row('PSS 1 stream: floor MiB (fakesink)', med(res.floor, (r) => MiB(r.peakPssKb)), undefined, { unit: ' MiB', digits: 1 });
  const p99 = med(res.ours, (r) => median(r.closed.map((m) => m['latency-p99-ms'])));
  row('latency p99 entry->socket (30 fps)', p99, undefined, { unit: ' ms', goal: '<= 2 ms', met: p99 === undefined ? undefined : p99 <= 2 });
  const p50 = med(res.ours, (r) => median(r.closed.map((m) => m['latency-p50-ms'])));
  row('latency p50 entry->socket', p50, undefined, { unit: ' ms' });
}

async function offline() {
  const media = encodedFile(FRAMES);
  console.log(`\n== offline: ${media.frames} frames, ${f2(media.bytes / 1e6, 1)} MB, streaming-type=offline, as fast as it goes`);
  // A recording from the past: timestamps must not run ahead of the clock (ErrorId 4007).
  const fileStart = Math.floor(Date.now() / 1000) - Math.ceil(FRAMES / 30) - 120;
  const res = await workload('offline', {
    pipeline: (sink) => `${parse(media.file)} ! ${sink()}`,
    extra: `streaming-type=offline file-start-time=${fileStart}`,
    expectedFrames: media.frames, timeoutS: 600,
  });
  const o = med(res.ours, (r) => r.sinkCpuS);
  const rf = hasRef ? med(res.ref, (r) => r.sinkCpuS) : undefined;
  row('offline: sink CPU-s (tree - floor)', o, rf, { unit: ' s', goal: 'ratio <= 0.7', met: hasRef && o !== undefined && rf !== undefined ? o / rf <= 0.7 : undefined });
  row('offline: sink CPU-ms / 1000 frames', o === undefined ? undefined : (o / media.frames) * 1e6, rf === undefined ? undefined : (rf / media.frames) * 1e6, { unit: ' ms', digits: 1 });
  const wo = med(res.ours, (r) => r.wallS), wr = hasRef ? med(res.ref, (r) => r.wallS) : undefined;
  row('offline: wall s', wo, wr, { unit: ' s' });
  row('offline: MB/s', wo ? media.bytes / 1e6 / wo : undefined, wr ? media.bytes / 1e6 / wr : undefined, { digits: 1 });
  row('offline: floor CPU-s (fakesink)', med(res.floor, (r) => r.cpuS), undefined, { unit: ' s' });
  row('offline: peak tree PSS', med(res.ours, (r) => MiB(r.peakPssKb)), hasRef ? med(res.ref, (r) => MiB(r.peakPssKb)) : undefined, { unit: ' MiB', digits: 1 });
}

async function startup() {
  const media = encodedFile(STARTUP_FRAMES);
  console.log(`\n== start-up: a ${STARTUP_FRAMES}-frame (1 s) live stream`);
  const res = await workload('startup', {
    pipeline: (sink) => `${parse(media.file)} ! identity sync=true ! ${sink()}`,
    expectedFrames: media.frames, timeoutS: 120,
  });
  // worker-startup-cpu-ms: the worker's CPU until it could serve its first stream (module
  // loading included); worker-cpu-ms: its whole CPU, i.e. start-up plus this 1 s stream.
  const closedMax = (r, field) => (r.closed.length ? Math.max(...r.closed.map((m) => m[field] ?? 0)) / 1000 : undefined);
  const startupOnly = med(res.ours, (r) => closedMax(r, 'worker-startup-cpu-ms'));
  const worker = med(res.ours, (r) => closedMax(r, 'worker-cpu-ms'));
  const o = med(res.ours, (r) => r.sinkCpuS);
  const rf = hasRef ? med(res.ref, (r) => r.sinkCpuS) : undefined;
  const primary = startupOnly ?? worker ?? o;
  row(`start-up: ${startupOnly !== undefined ? 'worker CPU-s to its first stream' : 'sink CPU-s (tree - floor)'}`, primary, undefined,
    { unit: ' s', goal: '<= 0.15 s', met: primary === undefined ? undefined : primary <= 0.15 });
  if (worker !== undefined) row('start-up: worker CPU-s, start-up + 1 s stream', worker, undefined, { unit: ' s' });
  row('start-up: sink CPU-s (tree - floor)', o, rf, { unit: ' s' });
  row('start-up: whole pipeline CPU-s', med(res.ours, (r) => r.cpuS), hasRef ? med(res.ref, (r) => r.cpuS) : undefined, { unit: ' s' });
  row('start-up: wall s (1 s of frames)', med(res.ours, (r) => r.wallS), hasRef ? med(res.ref, (r) => r.wallS) : undefined, { unit: ' s' });
}

async function multi() {
  const media = encodedFile(MULTI_S * 30);
  console.log(`\n== ${STREAMS} streams: one gst-launch, ${STREAMS} x (filesrc ! parse ! identity sync=true ! kvssink), ${media.frames} frames each`);
  const res = await workload('multi', {
    pipeline: (sink) => Array.from({ length: STREAMS }, () => `${parse(media.file)} ! identity sync=true ! ${sink()}`).join(' '),
    expectedFrames: media.frames, timeoutS: MULTI_S * 3 + 180,
  });
  const po = med(res.ours, (r) => MiB(r.peakPssKb));
  const pr = hasRef ? med(res.ref, (r) => MiB(r.peakPssKb)) : undefined;
  row(`PSS ${STREAMS} streams: peak tree MiB`, po, pr, { unit: ' MiB', digits: 1, goal: '<= ref + 60 MiB',
    met: hasRef && po !== undefined && pr !== undefined ? po <= pr + 60 : undefined });
  row(`PSS ${STREAMS} streams: floor MiB (fakesink)`, med(res.floor, (r) => MiB(r.peakPssKb)), undefined, { unit: ' MiB', digits: 1 });
  row(`${STREAMS} streams: processes in the tree`, med(res.ours, (r) => r.maxProcs), hasRef ? med(res.ref, (r) => r.maxProcs) : undefined, { digits: 0 });
  const o = med(res.ours, (r) => r.sinkCpuS);
  const rf = hasRef ? med(res.ref, (r) => r.sinkCpuS) : undefined;
  row(`${STREAMS} streams: sink CPU-s (tree - floor)`, o, rf, { unit: ' s' });
}

async function ring() {
  const { Ring } = await import('../dist/ring/ring.js');
  const addon = join(root, 'build', 'Release', 'kvssink_ring.node');
  const count = 30000;
  const size = 16700;
  const r = Ring.create(128 * 1024 * 1024, 1024 * 1024);
  const [memfd, fwd, back] = r.peerFds();
  // The reader is another process, as the worker is: read, then release each record.
  const reader = `
    const { Ring, FdWatcher } = require(${JSON.stringify(addon)});
    const r = Ring.attach(3, 4, 5, 1);
    const u = new Uint32Array(5), f = new Float64Array(2), i = new BigInt64Array(4);
    r.setReadViews(u, f, i);
    // Waits on the event loop, as the worker does.
    let wake = null;
    const watcher = new FdWatcher(r.readFd(), () => { r.takeWakeups(); const w = wake; wake = null; if (w) w(); });
    const readable = () => new Promise((resolve) => { if (r.arm()) resolve(); else wake = resolve; });
    let n = 0, bytes = 0;
    (async () => {
      for (;;) {
        const rc = r.read();
        if (rc === 0) { n++; bytes += u[3]; r.release(f[1]); if (n === ${count}) break; continue; }
        await readable();
      }
      watcher.close();
      process.stdout.write(String(bytes));
    })();`;
  const child = spawn(process.execPath, ['-e', reader], { stdio: ['ignore', 'pipe', 'inherit', memfd, fwd, back] });
  r.closePeerFds();
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  const payload = new Uint8Array(size).fill(7);
  const t0 = process.hrtime.bigint();
  for (let n = 0; n < count; n++) r.write(3, { track: 1, payload, timeoutMs: -1 });
  await new Promise((resolve) => child.on('close', resolve));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  r.close();
  const mbs = Number(out) / 1e6 / s;
  console.log(`\n== ring alone: ${count} records of ${size} B, element-side writer -> reader process: ${mbs.toFixed(0)} MB/s (${(count / s).toFixed(0)} records/s)`);
  row('ring alone: MB/s (16.7 KB records)', mbs, undefined, { digits: 0 });
}

async function soak() {
  const seconds = SOAK_S;
  console.log(`\n== soak: ${seconds} s live at 4 Mbit/s (videotestsrc is-live ! x264enc), default storage-size; ` +
    `tree PSS every 30 s${hasRef ? '; ours and the reference at the same time (separate trees)' : ''}`);
  const pipeline = (sink) => `videotestsrc is-live=true num-buffers=${seconds * 30} pattern=snow ! ` +
    'video/x-raw,width=640,height=360,framerate=30/1 ! x264enc tune=zerolatency speed-preset=ultrafast bitrate=4000 ' +
    `key-int-max=60 bframes=0 ! video/x-h264,stream-format=avc,alignment=au,profile=baseline ! ${sink}`;
  const mark = Math.min(60, seconds / 2);
  const runs = impls.map((impl) => {
    const name = streamName('soak', impl.key);
    const st = { impl, name, at1: undefined, maxAfter: 0, nextPrint: 30, last: 0 };
    st.promise = runPipeline(pipeline(impl.sink(name)), impl.env, {
      timeoutS: seconds + 300, sampleMs: 1000,
      onSample: ({ tS, kb }) => {
        st.last = kb;
        if (st.at1 === undefined && tS >= mark) st.at1 = kb;
        if (st.at1 !== undefined) st.maxAfter = Math.max(st.maxAfter, kb);
        if (tS >= st.nextPrint) {
          st.nextPrint += 30;
          console.log(`  soak ${impl.label.padEnd(9)} t=${String(Math.round(tS)).padStart(4)} s  tree PSS ${f2(MiB(kb), 1)} MiB`);
        }
      },
    }).then((r) => ({ r, st }));
    return st;
  });
  for (const st of runs) {
    const { r } = await st.promise;
    const stored = await checkStored([st.name], seconds * 30, `soak ${st.impl.label}`);
    if (!r.ok) describeFailure(`soak ${st.impl.label}`, r);
    st.growth = st.at1 === undefined ? undefined : MiB(st.maxAfter - st.at1);
    console.log(`  soak ${st.impl.label}: PSS at ${mark} s ${f2(MiB(st.at1 ?? 0), 1)} MiB, max after ${f2(MiB(st.maxAfter), 1)} MiB, ` +
      `growth ${f2(st.growth, 1)} MiB; CPU ${f2(r.cpuS)} s; stored ${stored.frames} frames`);
  }
  const at1 = (k) => { const s = runs.find((x) => x.impl.key === k); return s?.at1 === undefined ? undefined : MiB(s.at1); };
  row(`soak ${seconds} s: tree PSS at ${mark} s`, at1('ours'), at1('ref'), { unit: ' MiB', digits: 1 });
  const g = (k) => runs.find((s) => s.impl.key === k)?.growth;
  row(`soak ${seconds} s: PSS growth after ${mark} s`, g('ours'), g('ref'), { unit: ' MiB', digits: 1, ratio: Number.NaN, goal: 'flat (small)' });
}

try {
  if (ONLY.has('live')) await live();
  if (ONLY.has('offline')) await offline();
  if (ONLY.has('startup')) await startup();
  if (ONLY.has('multi')) await multi();
  if (ONLY.has('ring')) await ring();
  if (ONLY.has('soak')) await soak();
} catch (err) {
  warn(`bench aborted: ${err.stack ?? err}`);
} finally {
  await kvs.close();
  for (const impl of impls) if (impl.dir) rmSync(impl.dir, { recursive: true, force: true });
  rmSync(scratch, { recursive: true, force: true });
}

// ---- summary -------------------------------------------------------------------------------------
const cols = ['figure', 'ours', 'ref', 'ratio', 'goal', 'met'];
const head = { figure: 'figure', ours: 'ours', ref: 'reference', ratio: 'ratio', goal: 'goal', met: 'met' };
const width = Object.fromEntries(cols.map((c) => [c, Math.max(head[c].length, ...rows.map((r) => r[c].length))]));
const line = (r) => cols.map((c, i) => (i === 0 ? r[c].padEnd(width[c]) : r[c].padStart(width[c]))).join('  ');
console.log(`\n== summary (medians of ${RUNS} run(s); ratio = ours / reference; CPU figures minus the fakesink floor)`);
console.log(line(head));
console.log(cols.map((c) => '-'.repeat(width[c])).join('  '));
for (const r of rows) console.log(line(r));
if (refNote) console.log(`note: ${refNote}`);
for (const [k, n] of Object.entries(crashes)) {
  console.log(`note: ${k === 'ref' ? 'the reference' : 'ours'} crashed at exit (after EOS, all frames stored) in ${n} run(s)`);
}
if (warnings.length) console.log(`\n${warnings.length} warning(s):\n${warnings.map((w) => `  - ${w}`).join('\n')}`);
