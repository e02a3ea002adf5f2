/**
 * Helpers for integration tests: run real gst-launch-1.0 / gst-inspect-1.0 pipelines
 * through the built element, and independent validators (mkvinfo, ffprobe).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const PLUGIN_DIR = join(REPO_ROOT, 'build-gst');

export const TEST_ACCESS_KEY = 'AKIDEXAMPLE';
export const TEST_SECRET_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Starts a command with a hard time limit; `done` never rejects on a non-zero exit. */
export function start(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string;
  timeoutMs?: number } = {}): { pid: number; done: Promise<RunResult> } {
  const child = spawn(cmd, args, { env: options.env ?? process.env, cwd: options.cwd ?? tmpdir(),
    stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let timedOut = false;
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, options.timeoutMs ?? 90_000);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, timedOut });
    });
  });
  return { pid: child.pid ?? -1, done };
}

/** Runs a command to its end (see start). */
export function run(cmd: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string;
  timeoutMs?: number } = {}): Promise<RunResult> {
  return start(cmd, args, options).done;
}

export function gstEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  if (!existsSync(join(PLUGIN_DIR, 'libgstkvssink.so'))) {
    throw new Error(`The element is not built (${PLUGIN_DIR}): run scripts/setup`);
  }
  const env: NodeJS.ProcessEnv = { ...process.env, GST_PLUGIN_PATH: PLUGIN_DIR, ...extra };
  // Tests control the endpoint and credentials explicitly.
  for (const name of ['AWS_ENDPOINT_URL', 'CONTROL_PLANE_URI', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY',
    'AWS_SESSION_TOKEN', 'AWS_PROFILE', 'AWS_REGION', 'AWS_DEFAULT_REGION']) {
    if (!(name in extra)) delete env[name];
  }
  // No instance metadata service here: don't let the credential chain probe it.
  env.AWS_EC2_METADATA_DISABLED = 'true';
  return env;
}

/** gst-launch-1.0 -e with the pipeline given as one string (split on spaces, as a shell would). */
export function gstLaunch(pipeline: string, env: NodeJS.ProcessEnv, timeoutMs = 90_000): Promise<RunResult> {
  return launch(pipeline, env, timeoutMs).done;
}

/** Like gstLaunch, but the test may act on the process (its pid) while it runs. */
export function launch(pipeline: string, env: NodeJS.ProcessEnv, timeoutMs = 90_000): { pid: number; done: Promise<RunResult> } {
  return start('gst-launch-1.0', ['-e', ...pipeline.split(/\s+/).filter(Boolean)], { env, timeoutMs });
}

/** Compiles one of test/integration/apps/*.c against GStreamer; returns the executable's path. */
export async function compileApp(name: string, packages: string[] = ['gstreamer-1.0']): Promise<string> {
  const exe = join(tempDir(name), name);
  const flags = await run('pkg-config', ['--cflags', '--libs', ...packages]);
  if (flags.code !== 0) throw new Error(`pkg-config ${packages.join(' ')}: ${flags.stderr}`);
  const cc = await run('cc', ['-o', exe, join(REPO_ROOT, `test/integration/apps/${name}.c`), ...flags.stdout.trim().split(/\s+/)]);
  if (cc.code !== 0) throw new Error(`cc ${name}.c: ${cc.stderr}`);
  return exe;
}

/** kvssink with the local endpoint's test credentials, and whatever else the test sets. */
export function kvsSink(streamName: string, extra = ''): string {
  return `kvssink stream-name=${streamName} access-key=${TEST_ACCESS_KEY} secret-key=${TEST_SECRET_KEY} ${extra}`;
}

/** The acceptance pipeline: 300 frames of 640x480 H.264 at 30 fps, key frame at most every 30. */
export function h264TestSource(frames = 300): string {
  return `videotestsrc num-buffers=${frames} ! video/x-raw,width=640,height=480,framerate=30/1 ! ` +
    'x264enc bframes=0 key-int-max=30 ! video/x-h264,stream-format=avc,alignment=au,profile=baseline';
}

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `kvssink-${prefix}-`));
}

/** Frames ffprobe decodes from the first video stream (-count_frames). */
export async function ffprobeFrameCount(file: string): Promise<number> {
  const r = await run('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries',
    'stream=nb_read_frames', '-of', 'default=nokey=1:noprint_wrappers=1', file]);
  if (r.code !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

export async function ffprobeStream(file: string): Promise<Record<string, string>> {
  const r = await run('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries',
    'stream=codec_name,width,height', '-of', 'default=noprint_wrappers=1', file]);
  if (r.code !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  return Object.fromEntries(r.stdout.trim().split('\n').map((l) => l.split('=') as [string, string]));
}

/** mkvinfo's verdict: exit code and whether it reported any error. */
export async function mkvinfo(file: string): Promise<{ ok: boolean; output: string }> {
  const r = await run('mkvinfo', ['-v', file]);
  const output = r.stdout + r.stderr;
  return { ok: r.code === 0 && !/^Error|\(error\)/m.test(output), output };
}

/** Packets of one stream (ffprobe -count_packets), e.g. `a:0` for the first audio stream. */
export async function ffprobePacketCount(file: string, stream: string): Promise<number> {
  const r = await run('ffprobe', ['-v', 'error', '-count_packets', '-select_streams', stream, '-show_entries',
    'stream=nb_read_packets', '-of', 'default=nokey=1:noprint_wrappers=1', file]);
  if (r.code !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  return Number(r.stdout.trim());
}

/** Presentation times (ms, as ffprobe reads them) of every packet of one stream (default: the first video stream). */
export async function ffprobePacketTimesMs(file: string, stream = 'v:0'): Promise<number[]> {
  const r = await run('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time',
    '-of', 'csv=p=0', file]);
  if (r.code !== 0) throw new Error(`ffprobe failed on ${file}: ${r.stderr}`);
  return r.stdout.trim().split('\n').filter(Boolean).map((t) => Math.round(Number(t) * 1000));
}

/** The pids of gst-launch's children that run the kvssink worker (spawned from any of its threads). */
export function workerPids(pipelinePid: number): number[] {
  const children: string[] = [];
  try {
    for (const task of readdirSync(`/proc/${pipelinePid}/task`)) {
      children.push(...readFileSync(`/proc/${pipelinePid}/task/${task}/children`, 'utf8').trim().split(/\s+/));
    }
  } catch {
    // the pipeline (or one of its threads) has just gone
  }
  return children.filter((child) => {
    try {
      return child !== '' && /worker\/main\.js|kvssink-worker/.test(readFileSync(`/proc/${child}/cmdline`, 'utf8'));
    } catch {
      return false;
    }
  }).map(Number);
}
