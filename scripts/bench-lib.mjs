// Helpers for scripts/bench.mjs: running a pipeline under the subreaper runner (CPU of the
// whole process tree), sampling the tree's PSS, the local endpoint as a separate process,
// the reference element's copy, cached media.
import { fork, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const cacheDir = join(root, '.cache');
const runner = join(root, 'scripts', 'bench-run.py');
// The system interpreter, not a version-manager shim (a shim's own children would be sampled
// as part of the tree).
const python = ['/usr/bin/python3', '/bin/python3'].find((p) => existsSync(p)) ?? 'python3';

export function median(xs) {
  const s = xs.filter((x) => typeof x === 'number' && Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return undefined;
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Descendants of pid (all threads' children, recursively), pid itself excluded. */
export function descendants(pid) {
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = queue.shift();
    let tids = [];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue;
    }
    for (const t of tids) {
      let kids = '';
      try {
        kids = readFileSync(`/proc/${p}/task/${t}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const k of kids.split(/\s+/)) {
        if (!k) continue;
        out.push(Number(k));
        queue.push(Number(k));
      }
    }
  }
  return out;
}

/** PSS of one process in KiB (0 when gone or unreadable). */
export function pssKb(pid) {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : 0;
  } catch {
    return 0;
  }
}

/** Sum of PSS over the tree below `pid` (pid excluded), and the number of processes. */
export function treePss(pid) {
  const pids = descendants(pid);
  let kb = 0;
  for (const p of pids) kb += pssKb(p);
  return { kb, procs: pids.length, pids };
}

/** All `kvs-stream-closed` messages in a gst-launch -m log, as objects keyed by field name. */
export function streamClosedMessages(text) {
  const out = [];
  for (const m of text.matchAll(/kvs-stream-closed, ([^\n]*)/g)) {
    const fields = {};
    for (const f of m[1].matchAll(/([\w-]+)=\((\w+)\)("(?:[^"\\]|\\.)*"|[^,;]+)/g)) {
      const [, name, type, raw] = f;
      fields[name] = type === 'string' ? raw.replace(/^"|"$/g, '') : Number(raw);
    }
    out.push(fields);
  }
  return out;
}

/**
 * Runs `gst-launch-1.0 -e -m <pipeline>` under bench-run.py (a child subreaper, so the CPU of
 * every descendant is counted), sampling the tree's PSS every `sampleMs` ms. `onSample` sees
 * each sample ({tS, kb, procs}). Resolves with {ok, rc, cpuS, wallS, peakPssKb, maxProcs,
 * closed (kvs-stream-closed messages), signal (when killed by one), eos (the EOS reached the
 * sinks), log tail}; never rejects on a pipeline failure.
 */
export function runPipeline(pipeline, env, { timeoutS = 600, sampleMs = 100, onSample } = {}) {
  return new Promise((resolve, reject) => {
    const log = join(cacheDir, `bench-${process.pid}-${Math.random().toString(36).slice(2)}.log`);
    // --no-fault: a crash ends the process at once (with the fault handler, gst-launch forks
    // gdb for a stack trace, whose CPU and PSS would land in the run).
    const args = [runner, log, '--', 'gst-launch-1.0', '-e', '-m', '--no-fault', ...splitPipeline(pipeline)];
    const child = spawn(python, args, { env, stdio: ['ignore', 'pipe', 'inherit'] });
    const started = Date.now();
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    let peakPssKb = 0, maxProcs = 0, lastPids = [], timedOut = false;
    const sample = () => {
      const s = treePss(child.pid);
      if (s.procs === 0) return;
      if (process.env.BENCH_DEBUG_PROCS) {
        for (const p of s.pids) {
          if (lastPids.includes(p)) continue;
          let cmd = '?';
          try { cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').slice(0, 160); } catch { /* gone */ }
          console.log(`    [proc ${p}] ${cmd}`);
        }
      }
      lastPids = s.pids;
      peakPssKb = Math.max(peakPssKb, s.kb);
      maxProcs = Math.max(maxProcs, s.procs);
      onSample?.({ tS: (Date.now() - started) / 1000, kb: s.kb, procs: s.procs });
    };
    const sampler = setInterval(sample, sampleMs);
    const watchdog = setTimeout(() => {
      timedOut = true;
      for (const p of descendants(child.pid).reverse()) {
        try {
          process.kill(p, 'SIGKILL');
        } catch {
          // gone
        }
      }
    }, timeoutS * 1000);
    child.on('error', reject);
    child.on('close', () => {
      clearInterval(sampler);
      clearTimeout(watchdog);
      let text = '';
      try {
        text = readFileSync(log, 'utf8');
      } catch {
        // no log
      }
      rmSync(log, { force: true });
      let r;
      try {
        r = JSON.parse(out.trim().split('\n').pop());
      } catch {
        r = { rc: -1, user_s: 0, sys_s: 0, wall_s: (Date.now() - started) / 1000 };
      }
      const ok = r.rc === 0 && !timedOut;
      resolve({
        ok, rc: r.rc, timedOut, signal: r.rc < 0 ? -r.rc : undefined,
        // gst-launch -e prints this once the EOS reached every sink: the work was done.
        eos: /Got EOS from element "pipeline/.test(text), cpuS: r.user_s + r.sys_s, wallS: r.wall_s, stragglers: r.stragglers,
        peakPssKb, maxProcs, closed: streamClosedMessages(text), tail: ok ? '' : text.slice(-2500), text,
      });
    });
  });
}

/** Splits a gst-launch description into argv words (no shell; values must not contain spaces). */
function splitPipeline(p) {
  return p.trim().split(/\s+/);
}

function run(cmd, args, env = process.env) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'], env });
  if (r.status !== 0) throw new Error(`${cmd} ${args.slice(0, 3).join(' ')} ... failed: ${r.status}`);
}

/** A cached MP4 of `frames` 640x360 H.264 frames at 4 Mbit/s (~16.7 KB each), key frame every 60. */
export function encodedFile(frames) {
  mkdirSync(cacheDir, { recursive: true });
  const file = join(cacheDir, `bench-640x360-4mbps-gop60-${frames}.mp4`);
  if (!existsSync(file)) {
    console.log(`generating ${frames} frames of 640x360 H.264 at 4 Mbit/s, key frame every 60 (cached in ${file}) ...`);
    run('gst-launch-1.0', ['-q', 'videotestsrc', `num-buffers=${frames}`, 'pattern=snow', '!',
      'video/x-raw,width=640,height=360,framerate=30/1', '!', 'x264enc', 'bitrate=4000', 'key-int-max=60',
      'bframes=0', 'speed-preset=ultrafast', 'option-string=scenecut=0', '!', 'video/x-h264,profile=baseline', '!',
      'mp4mux', '!', 'filesink', `location=${file}.part`]);
    renameSync(`${file}.part`, file);
  }
  return { file, bytes: statSync(file).size, frames };
}

/** Starts scripts/bench-endpoint.mjs as its own process; resolves with {url, count(stream), cpuS(), close()}. */
export function startEndpoint() {
  const dataDir = mkdtempSync(join(tmpdir(), 'kvssink-bench-kvs-'));
  const child = fork(join(root, 'scripts', 'bench-endpoint.mjs'), [dataDir], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  let nextId = 1;
  const pending = new Map();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => {
      for (const p of pending.values()) p.reject(new Error(`endpoint exited (${code})`));
      pending.clear();
    });
    const ask = (msg) => new Promise((res, rej) => {
      const id = nextId++;
      pending.set(id, { resolve: res, reject: rej });
      child.send({ ...msg, id });
    });
    child.on('message', (m) => {
      if (m.op === 'ready') {
        resolve({
          url: m.url,
          pid: child.pid,
          count: (stream) => ask({ op: 'count', stream }),
          cpuS: async () => (await ask({ op: 'cpu' })).cpuS,
          close: () => new Promise((res) => {
            child.once('exit', () => {
              rmSync(dataDir, { recursive: true, force: true });
              res();
            });
            child.send({ op: 'close' });
          }),
        });
        return;
      }
      const p = pending.get(m.id);
      if (p) {
        pending.delete(m.id);
        p.resolve(m);
      }
    });
  });
}

/**
 * Copies the official element's directory to a temp dir and recreates its symlinks (the
 * shared copy holds them flattened: a small file whose content is the name of a sibling file).
 * Returns {dir, problem}: problem is a message when it cannot load here.
 */
export function prepareReference(src) {
  const dir = mkdtempSync(join(tmpdir(), 'kvssink-bench-ref-'));
  cpSync(src, dir, { recursive: true, dereference: true });
  spawnSync('chmod', ['-R', 'u+w', dir]);
  for (const sub of ['lib', 'build']) {
    const d = join(dir, sub);
    if (!existsSync(d)) continue;
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = lstatSync(p);
      if (!st.isFile() || st.size > 255) continue;
      const target = readFileSync(p, 'utf8').trim();
      if (!/^[\w.+-]+$/.test(target) || target === name || !existsSync(join(d, target))) continue;
      unlinkSync(p);
      symlinkSync(target, p);
    }
  }
  const plugin = join(dir, 'build', 'libgstkvssink.so');
  if (!existsSync(plugin)) return { dir, problem: `no build/libgstkvssink.so in ${src}` };
  const ldd = spawnSync('ldd', [plugin], { encoding: 'utf8' });
  const missing = (ldd.stdout ?? '').split('\n').filter((l) => /not found/.test(l)).map((l) => l.trim().split(/\s+/)[0]);
  if (missing.length) {
    return { dir, problem: `the reference cannot load: missing ${missing.join(', ')} ` +
      '(apt-get install -y liblog4cplus-2.0.5 libcurl4)' };
  }
  return { dir, problem: undefined };
}

/** Loads a plugin once into a fresh registry so no measured run pays for the registry scan. */
export function warmRegistry(env) {
  const r = spawnSync('gst-inspect-1.0', ['kvssink'], { env, encoding: 'utf8' });
  return r.status === 0 ? undefined : (r.stderr || r.stdout || '').slice(-500);
}
