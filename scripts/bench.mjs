// kvssink benchmark. Figures, not pass/fail. Options (env):
//   BENCH_FRAMES (30000)  BENCH_LIVE_SECONDS (60)  BENCH_RUNS (3)  BENCH_ONLY=throughput,live,ring
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalKvs } from '../dist/local/server.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cacheDir = join(root, '.cache');
const FRAMES = Number(process.env.BENCH_FRAMES ?? 30000);
const LIVE_SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 60);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ONLY = (process.env.BENCH_ONLY ?? 'throughput,live,ring').split(',');
const CLK_TCK = 100;
const SINK = 'kvssink access-key=AKIDEXAMPLE secret-key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY aws-region=us-west-2';

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Peak RSS (VmHWM, KiB) of a pid, or 0 when it is gone. */
function hwm(pid) {
  try {
    const m = /VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

function childrenOf(pid) {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/**
 * Runs gst-launch under bash so that `times` reports the CPU of gst-launch and everything it
 * reaped (the worker included). Samples peak RSS of gst-launch and its children meanwhile.
 */
function runPipeline(pipeline, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const script = `gst-launch-1.0 -e -m ${pipeline} > "$KVSSINK_BENCH_LOG" 2>&1; rc=$?; times; exit $rc`;
    const log = join(cacheDir, `bench-${process.pid}.log`);
    const child = spawn('bash', ['-c', script], { env: { ...env, KVSSINK_BENCH_LOG: log }, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    const peaks = new Map();
    const sampler = setInterval(() => {
      for (const gst of childrenOf(child.pid)) {
        peaks.set('pipeline', Math.max(peaks.get('pipeline') ?? 0, hwm(gst)));
        for (const w of childrenOf(gst)) peaks.set('worker', Math.max(peaks.get('worker') ?? 0, hwm(w)));
      }
    }, 20);
    child.on('error', reject);
    child.on('close', (code) => {
      clearInterval(sampler);
      const wallS = Number(process.hrtime.bigint() - started) / 1e9;
      const text = readFileSync(log, 'utf8');
      rmSync(log, { force: true });
      if (code !== 0) return reject(new Error(`pipeline failed (${code}):\n${text.slice(-3000)}`));
      // times: "0m0.001s 0m0.002s\n<children user> <children sys>"
      const lines = out.trim().split('\n');
      const toS = (t) => { const m = /(\d+)m([\d.]+)s/.exec(t); return m ? Number(m[1]) * 60 + Number(m[2]) : 0; };
      const [cu, cs] = (lines[lines.length - 1] ?? '').split(/\s+/);
      const closed = /kvs-stream-closed, ([^\n]*)/.exec(text)?.[1] ?? '';
      const field = (name) => { const m = new RegExp(`${name}=\\(\\w+\\)([\\d.]+)`).exec(closed); return m ? Number(m[1]) : undefined; };
      resolve({
        wallS, cpuS: toS(cu) + toS(cs), pipelineRssKb: peaks.get('pipeline') ?? 0,
        workerRssKb: field('worker-max-rss-kb') ?? peaks.get('worker') ?? 0,
        workerCpuS: (field('worker-cpu-ms') ?? 0) / 1000,
        frames: field('frames'), dropped: field('dropped-frames'), p50: field('latency-p50-ms'), p99: field('latency-p99-ms'),
      });
    });
  });
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const c = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
    c.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} failed: ${code}`))));
  });
}

async function encodedFile(frames) {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `bench-640x360-4mbps-gop60-${frames}.mp4`);
  if (!existsSync(file)) {
    console.log(`generating ${frames} frames of 640x360 H.264 at 4 Mbit/s, key frame every 60 (cached in ${file}) ...`);
    await run('gst-launch-1.0', ['-q', 'videotestsrc', `num-buffers=${frames}`, 'pattern=snow', '!',
      'video/x-raw,width=640,height=360,framerate=30/1', '!', 'x264enc', 'bitrate=4000', 'key-int-max=60',
      'bframes=0', 'speed-preset=ultrafast', 'option-string=scenecut=0', '!', 'video/x-h264,profile=baseline', '!',
      'mp4mux', '!', 'filesink', `location=${file}.part`]);
    await run('mv', [`${file}.part`, file]);
  }
  return file;
}

const mb = (kb) => (kb / 1024).toFixed(1);

async function throughput(env, kvsUrl) {
  const file = await encodedFile(FRAMES);
  const bytes = readFileSync(file).length;
  const source = `filesrc location=${file} ! qtdemux ! h264parse ! video/x-h264,stream-format=avc,alignment=au`;
  const results = { kvssink: [], fakesink: [] };
  for (let i = 0; i < RUNS; i++) {
    results.fakesink.push(await runPipeline(`${source} ! fakesink`, env));
    // A recording from the past: its timestamps must not run ahead of the clock (KVS
    // refuses producer timestamps far in the future, ErrorId 4007).
    const fileStart = Math.floor(Date.now() / 1000) - Math.ceil(FRAMES / 30) - 60;
    results.kvssink.push(await runPipeline(`${source} ! ${SINK} streaming-type=offline file-start-time=${fileStart} stream-name=bench-throughput-${i}`,
      { ...env, AWS_ENDPOINT_URL_KINESIS_VIDEO: kvsUrl }));
  }
  // The fixed cost (worker start-up: Node, the AWS SDK, DescribeStream/GetDataEndpoint) from a
  // 30-frame run, so the per-frame figure at scale can be told apart from it.
  const small = await encodedFile(30);
  const startup = await runPipeline(`filesrc location=${small} ! qtdemux ! h264parse ! video/x-h264,stream-format=avc,alignment=au ! ` +
    `${SINK} streaming-type=offline stream-name=bench-startup`, { ...env, AWS_ENDPOINT_URL_KINESIS_VIDEO: kvsUrl });
  const k = results.kvssink.sort((a, b) => a.wallS - b.wallS)[Math.floor(RUNS / 2)];
  const f = results.fakesink.sort((a, b) => a.wallS - b.wallS)[Math.floor(RUNS / 2)];
  const perK = (cpu) => (cpu / FRAMES) * 1000;
  console.log(`\n== (a) throughput: ${FRAMES} frames, ${(bytes / 1e6).toFixed(1)} MB, offline, median of ${RUNS}`);
  console.log(`                     kvssink      fakesink (floor)   ratio`);
  console.log(`wall s            ${k.wallS.toFixed(2).padStart(9)}   ${f.wallS.toFixed(2).padStart(12)}   ${(k.wallS / f.wallS).toFixed(2)}x`);
  console.log(`frames/s          ${(FRAMES / k.wallS).toFixed(0).padStart(9)}   ${(FRAMES / f.wallS).toFixed(0).padStart(12)}`);
  console.log(`MB/s              ${(bytes / 1e6 / k.wallS).toFixed(1).padStart(9)}   ${(bytes / 1e6 / f.wallS).toFixed(1).padStart(12)}`);
  console.log(`CPU s (all)       ${k.cpuS.toFixed(2).padStart(9)}   ${f.cpuS.toFixed(2).padStart(12)}   ${(k.cpuS / f.cpuS).toFixed(2)}x`);
  console.log(`CPU s / 1000 fr   ${perK(k.cpuS).toFixed(3).padStart(9)}   ${perK(f.cpuS).toFixed(3).padStart(12)}   (official C++: 0.027 incl. start-up, floor 0.010)`);
  console.log(`  worker CPU s    ${k.workerCpuS.toFixed(2).padStart(9)}   (start-up included)`);
  console.log(`start-up CPU s    ${startup.cpuS.toFixed(2).padStart(9)}   (30-frame run: paid once per pipeline; worker ${startup.workerCpuS.toFixed(2)})`);
  console.log(`CPU s / 1000 fr   ${perK(k.cpuS - startup.cpuS).toFixed(3).padStart(9)}   without start-up (floor ${perK(f.cpuS).toFixed(3)})`);
  console.log(`peak RSS MiB      pipeline ${mb(k.pipelineRssKb)}, worker ${mb(k.workerRssKb)}   (fakesink pipeline ${mb(f.pipelineRssKb)}; official: 44)`);
  console.log(`frames sent       ${k.frames}, dropped ${k.dropped}`);
}

async function live(env, kvsUrl) {
  const frames = LIVE_SECONDS * 30;
  const source = `videotestsrc is-live=true num-buffers=${frames} ! video/x-raw,width=640,height=360,framerate=30/1 ! ` +
    'x264enc tune=zerolatency speed-preset=ultrafast bitrate=2000 key-int-max=60 bframes=0 ! ' +
    'video/x-h264,stream-format=avc,alignment=au,profile=baseline';
  const f = await runPipeline(`${source} ! fakesink`, env);
  const k = await runPipeline(`${source} ! ${SINK} stream-name=bench-live`, { ...env, AWS_ENDPOINT_URL_KINESIS_VIDEO: kvsUrl });
  console.log(`\n== (b) live: 30 fps for ${LIVE_SECONDS} s (videotestsrc is-live ! x264enc ultrafast 2 Mbit/s)`);
  console.log(`                     kvssink      fakesink (floor)`);
  console.log(`CPU %             ${((k.cpuS / k.wallS) * 100).toFixed(1).padStart(9)}   ${((f.cpuS / f.wallS) * 100).toFixed(1).padStart(12)}   (kvssink share: ${(((k.cpuS - f.cpuS) / k.wallS) * 100).toFixed(1)} %)`);
  console.log(`  worker CPU %    ${((k.workerCpuS / k.wallS) * 100).toFixed(1).padStart(9)}`);
  console.log(`peak RSS MiB      pipeline ${mb(k.pipelineRssKb)}, worker ${mb(k.workerRssKb)}   (fakesink pipeline ${mb(f.pipelineRssKb)})`);
  console.log(`latency ms        p50 ${k.p50?.toFixed(2)}, p99 ${k.p99?.toFixed(2)}   (element entry → bytes on the socket)`);
  console.log(`frames sent       ${k.frames}, dropped ${k.dropped}`);
}

async function ring() {
  const { Ring } = await import('../dist/ring/ring.js');
  const addon = join(root, 'build', 'Release', 'kvssink_ring.node');
  const count = 30000;
  const size = 16700;
  const ring = Ring.create(128 * 1024 * 1024, 1024 * 1024);
  const [memfd, fwd, back] = ring.peerFds();
  // The reader is another process, as the worker is: read, then release each record.
  const reader = `
    const { Ring } = require(${JSON.stringify(addon)});
    const r = Ring.attach(3, 4, 5, 1);
    const u = new Uint32Array(5), f = new Float64Array(2), i = new BigInt64Array(4);
    r.setReadViews(u, f, i);
    let n = 0, bytes = 0;
    (async () => {
      for (;;) {
        const rc = r.read();
        if (rc === 0) { n++; bytes += u[3]; r.release(f[1]); if (n === ${count}) break; continue; }
        await r.waitReadable(1000);
      }
      process.stdout.write(String(bytes));
    })();`;
  const child = spawn(process.execPath, ['-e', reader], { stdio: ['ignore', 'pipe', 'inherit', memfd, fwd, back] });
  ring.closePeerFds();
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  const payload = new Uint8Array(size).fill(7);
  const t0 = process.hrtime.bigint();
  for (let n = 0; n < count; n++) ring.write(3, { track: 1, payload, timeoutMs: -1 });
  await new Promise((resolve) => child.on('close', resolve));
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  ring.close();
  console.log(`\n== (c) ring alone: ${count} records of ${size} B, element-side writer → reader process`);
  console.log(`MB/s              ${(Number(out) / 1e6 / s).toFixed(0)}   (${(count / s).toFixed(0)} records/s)`);
}

const env = { ...process.env, GST_PLUGIN_PATH: join(root, 'build-gst'), AWS_EC2_METADATA_DISABLED: 'true' };
mkdirSync(cacheDir, { recursive: true });
const dataDir = join(cacheDir, 'bench-kvs-data');
rmSync(dataDir, { recursive: true, force: true });
// Measure kvssink, not the service's 12.5 MB/s cap (which the endpoint enforces by default).
const kvs = await startLocalKvs({ dataDir, fsync: false, activationDelayMs: 0,
  limits: { putMediaBytesPerSecond: Number.MAX_SAFE_INTEGER } });
console.log(`kvssink benchmark (local KVS endpoint ${kvs.url}; ${process.env.BENCH_NOTE ?? ''})`);
try {
  if (ONLY.includes('throughput')) await throughput(env, kvs.url);
  if (ONLY.includes('live')) await live(env, kvs.url);
  if (ONLY.includes('ring')) await ring();
} finally {
  await kvs.close();
  rmSync(dataDir, { recursive: true, force: true });
}
