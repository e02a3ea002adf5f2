/**
 * Helpers of the parameter matrix: one local endpoint per file, short real pipelines into it,
 * each run once however many cases read it, and what a run leaves at the endpoint.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LocalKvs } from '../../src/local/server.js';
import { gstEnv, launch, mkvinfo, tempDir, TEST_ACCESS_KEY, TEST_SECRET_KEY, type RunResult } from '../integration/gst.js';

/** Frames per run: 2 s at 30 fps, a key frame every 15 (so 2 fragments of at least 1 s). */
export const FRAMES = 60;
export const KEY_FRAME_INTERVAL = 15;

export function source(frames = FRAMES, keyInt = KEY_FRAME_INTERVAL): string {
  return `videotestsrc num-buffers=${frames} ! video/x-raw,width=160,height=120,framerate=30/1 ! ` +
    `x264enc bframes=0 key-int-max=${keyInt} speed-preset=ultrafast ! ` +
    'video/x-h264,stream-format=avc,alignment=au,profile=baseline';
}

export function credentials(): string {
  return `access-key=${TEST_ACCESS_KEY} secret-key=${TEST_SECRET_KEY}`;
}

export interface SessionSummary {
  timecodeType: string;
  producerStartTimestampMs: number | null;
  userAgent: string | null;
  ackRequired: string | null;
  fragments: number;
  acks: Record<string, number>;
}

export interface StreamRecord {
  streamName: string;
  dataRetentionInHours: number;
  mediaType: string;
  tags: Record<string, string>;
}

export interface Outcome {
  result: RunResult;
  /** stdout and stderr together: gst-launch prints messages on one and errors on the other. */
  output: string;
  stream: string;
  record?: StreamRecord;
  sessions: SessionSummary[];
  fragments: ReturnType<LocalKvs['getFragments']>;
  /** mkvinfo -v of the first session's body, as KVS received it. */
  mkv: string;
  /** The element messages of one name that gst-launch -m printed, as field maps. */
  messages: (name: string) => Record<string, string>[];
}

/** What a run did at the endpoint (empty when the stream was never created). */
export async function outcome(kvs: LocalKvs, stream: string, result: RunResult): Promise<Outcome> {
  const dir = join(kvs.dataDir, 'streams', stream);
  const output = result.stdout + result.stderr;
  const sessionsDir = join(dir, 'sessions');
  // A session's summary is written once its body file is complete, which may be just after
  // gst-launch exits: wait (briefly) for one summary per body.
  const list = (): string[] => (existsSync(sessionsDir) ? readdirSync(sessionsDir) : []);
  for (let waited = 0; waited < 3000; waited += 50) {
    const all = list();
    if (all.filter((n) => n.endsWith('.json')).length >= all.filter((n) => n.endsWith('.mkv')).length) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  const names = list();
  const sessions = names.filter((n) => n.endsWith('.json')).sort((a, b) => parseInt(a) - parseInt(b))
    .map((n) => JSON.parse(readFileSync(join(sessionsDir, n), 'utf8')) as SessionSummary);
  const body = names.includes('1.mkv') ? join(sessionsDir, '1.mkv') : undefined;
  return {
    result,
    output,
    stream,
    record: existsSync(join(dir, 'stream.json')) ? JSON.parse(readFileSync(join(dir, 'stream.json'), 'utf8')) as StreamRecord : undefined,
    sessions,
    fragments: existsSync(dir) ? kvs.getFragments(stream) : [],
    mkv: body ? (await mkvinfo(body)).output : '',
    messages: (name) => elementMessages(result.stdout, name),
  };
}

/** Parses `Got message #n from element "…" (element): name, key=(type)value, …;` lines of gst-launch -m. */
export function elementMessages(stdout: string, name: string): Record<string, string>[] {
  const found: Record<string, string>[] = [];
  for (const line of stdout.split('\n')) {
    const at = line.indexOf(`(element): ${name},`);
    if (at < 0) continue;
    const fields: Record<string, string> = {};
    for (const m of line.slice(at).matchAll(/([a-z0-9-]+)=\([a-z0-9]+\)("(?:[^"\\]|\\.)*"|[^,;]*)/gi)) {
      fields[m[1]!] = m[2]!.replace(/^"|"$/g, '');
    }
    found.push(fields);
  }
  return found;
}

export interface RunOptions {
  frames?: number;
  keyInt?: number;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Replaces the default credentials (access-key/secret-key of the endpoint's test set). */
  credentials?: string;
}

/**
 * Runs each named pipeline once, however many cases read it; at most `concurrency` at a time
 * (2 cores shared with the rest of the suite).
 */
export class Runs {
  readonly #kvs: () => LocalKvs;
  readonly #runs = new Map<string, Promise<Outcome>>();
  readonly #queue: (() => void)[] = [];
  #active = 0;

  constructor(kvs: () => LocalKvs, readonly concurrency = 3) {
    this.#kvs = kvs;
  }

  /** `kvssink stream-name=<stream> <credentials> <props>`, fed by `source()`; `props` may set stream-name itself. */
  sink(stream: string, props: string, options: RunOptions = {}): Promise<Outcome> {
    const named = /(^|\s)stream-name=/.test(props) ? '' : `stream-name=${stream}`;
    return this.pipeline(stream, `${source(options.frames, options.keyInt)} ! kvssink ${named} ` +
      `${options.credentials ?? credentials()} ${props}`, options);
  }

  pipeline(stream: string, description: string, options: RunOptions = {}): Promise<Outcome> {
    let run = this.#runs.get(stream);
    if (!run) {
      run = this.#slot().then(async () => {
        try {
          const env = gstEnv({ AWS_ENDPOINT_URL_KINESIS_VIDEO: this.#kvs().url, HOME: tempDir('params-home'),
            ...options.env });
          const result = await launch(`-m ${description}`, env, options.timeoutMs ?? 60_000).done;
          return await outcome(this.#kvs(), stream, result);
        } finally {
          this.#release();
        }
      });
      this.#runs.set(stream, run);
    }
    return run;
  }

  #slot(): Promise<void> {
    if (this.#active < this.concurrency) {
      this.#active++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push(() => {
      this.#active++;
      resolve();
    }));
  }

  #release(): void {
    this.#active--;
    this.#queue.shift()?.();
  }
}

/** A run that must have streamed every frame and ended with EOS. */
export function expectStreamed(o: Outcome, frames = FRAMES): void {
  expect(o.result.timedOut, o.output.slice(-2000)).toBe(false);
  expect(o.result.code, o.output.slice(-2000)).toBe(0);
  expect(o.fragments.reduce((n, f) => n + f.frameCount, 0)).toBe(frames);
}

/** An invalid value: gst-launch exits non-zero at once, with an error line naming the property. */
export function expectRefused(o: Outcome, property: string): void {
  expect(o.result.timedOut).toBe(false);
  expect(o.result.signal).toBeNull();
  expect(o.result.code, o.output).not.toBe(0);
  const lines = o.output.split('\n').filter((l) => /^(ERROR|WARNING: erroneous pipeline)/.test(l));
  expect(lines.some((l) => l.includes(`"${property}"`)), o.output).toBe(true);
  expect(o.record).toBeUndefined();
}

export interface Case {
  /** What the case shows, in a few words (the test's name). */
  shows: string;
  check: () => Promise<void>;
}

/**
 * The three cases of one property: its default, a valid non-default value, an invalid value.
 * (codegen links each README row to this call: keep the name as the first argument.)
 */
export function propertyCases(name: string, cases: { default: Case; valid: Case; invalid: Case }): void {
  describe(name, () => {
    it(`default: ${cases.default.shows}`, cases.default.check);
    it(`valid: ${cases.valid.shows}`, cases.valid.check);
    it(`invalid: ${cases.invalid.shows}`, cases.invalid.check);
  });
}

export function mkvTimestampScaleNs(mkv: string): number | undefined {
  const m = /Timestamp scale: (\d+)/.exec(mkv);
  return m ? Number(m[1]) : undefined;
}
