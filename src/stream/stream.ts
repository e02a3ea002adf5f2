/**
 * One KVS stream, driven by the records the element writes on the ring.
 *
 * The ring is the content store (src/store): frames stay in shared memory until their fragment
 * is acknowledged. When a PutMedia session fails with a retriable error the store rewinds to the
 * first unacknowledged fragment and a new session replays from there.
 */
import { randomBytes } from 'node:crypto';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import type { KvsSinkSettings } from '../config/config.js';
import { createControlPlaneClient, getPutMediaEndpoint, prepareStream, type ControlPlaneClient } from '../aws/control-plane.js';
import { resolveCredentialProvider } from '../aws/credentials.js';
import { resolveControlPlaneEndpoint, resolveRegion } from '../aws/endpoint.js';
import { ackError, isKvsError, KvsError, type LogFn } from '../aws/errors.js';
import { openPutMedia, type PutMediaResult, type PutMediaSession } from '../aws/put-media.js';
import type { FragmentAck } from '../aws/ack.js';
import { encodeStreamHeader } from '../mkv/mkv-writer.js';
import { Fragmenter, type FragmenterEvent } from '../mkv/fragmenter.js';
import { adaptFrame, completeTrackFromFrame, streamContentType, trackChangedInBand, trackFromCaps, type TrackInfo } from '../media/track.js';
import { FrameFlag, RecordType, type Ring, type RingRecord } from '../ring/ring.js';
import { ContentStore, ResumeState } from '../store/content-store.js';
import { chooseCut, pressureCause, STORAGE_HIGH_WATER, STORAGE_LAST_RESORT, type CutPoint, type PressureCause, type StoreLevel } from '../store/pressure.js';
import type { Problem, Reporter } from '../worker/report.js';
import { TimestampError, TimestampMapper } from './timestamps.js';
import { LatencyRecorder } from './latency.js';
import { Interleaver } from './interleaver.js';
import { StreamMetrics } from './metrics.js';
import { retryDelayMs } from './retry.js';

/** A frame with its timecode, between the ring and the fragmenter. */
interface PendingFrame {
  track: number;
  tc: number;
  position: number;
  rec: RingRecord;
  info: TrackInfo;
}

const NO_FRAMES: readonly PendingFrame[] = [];

interface Connection {
  client: ControlPlaneClient;
  /** The PutMedia data endpoint, fetched again (GetDataEndpoint) once older than ENDPOINT_CACHE_MS. */
  endpoint: string;
  endpointFetchedMs: number;
  credentials: AwsCredentialIdentityProvider;
  region: string;
  /** Release on RECEIVED when the stream keeps no data (no PERSISTED acks come). */
  releaseOn: 'PERSISTED' | 'RECEIVED';
}

export interface StreamSummary {
  frames: number;
  fragments: number;
  bytes: number;
  acks: number;
  persisted: number;
  errors: number;
  droppedFrames: number;
  /** Of those, frames of whole fragments dropped from the oldest end under realtime pressure. */
  framesDroppedByPressure: number;
  fragmentsDroppedByPressure: number;
  /** Frames of fragments KVS refused and that could not be sent again. */
  framesLostToRejections: number;
  /** Frames not acknowledged when the element stopped without EOS. */
  framesLostAtStop: number;
  sessions: number;
  unacknowledged: number;
}

/** PutMedia's minimum fragment duration (guide, service limits ~L5949: "1 second [h]"). */
const MIN_FRAGMENT_DURATION_MS = 1000;
/** Offline: after a wake-up, wait this long (µs) for more records before handling them. */
const OFFLINE_COALESCE_US = 1000;
const IDLE_TICK_MS = 200;
/**
 * How far (media time) one track may run ahead while the interleaver waits for another: more
 * than the latency of a camera's encoder (a few hundred ms), less than a fragment.
 */
const INTERLEAVE_MAX_WAIT_MS = 1500;
/** How far before its fragment's start a frame may show (B-frames of an open GOP) before it counts as time going back. */
const REORDER_TOLERANCE_MS = 1000;
/** PutMedia credential refusals in a row that are retried with fresh credentials. */
const MAX_AUTH_RETRIES = 3;
/** After the last fragment is acknowledged: how long the service gets to close the session. */
const SESSION_CLOSE_WAIT_MS = 5000;
/** ERROR acks in a row after which the stream stops with an error. */
const MAX_REJECTIONS_IN_A_ROW = 3;
/** Records handled in a row before yielding the event loop to the worker's other streams. */
const YIELD_EVERY_RECORDS = 64;
const WARNING_INTERVAL_MS = 5_000;
/**
 * KVS closes a PutMedia connection after 45 minutes (guide, producer limits ~L3543: "The SDK
 * rotates the token and establishes a new connection within this time"): sessions are rotated
 * at the first fragment boundary after rotation-period, and never later than this.
 */
const MAX_SESSION_MS = 44 * 60_000;
/** Rotate a session this long before the credentials it was signed with expire (at most half their life). */
const ROTATE_BEFORE_EXPIRY_MS = 30_000;
/** A session lasts at least this long, even when its credentials are about to expire and none fresher come. */
const MIN_SESSION_MS = 10_000;
/** "GetDataEndpoint ... Called every 45 minutes to refresh the streaming token" (guide ~L5921). */
const ENDPOINT_CACHE_MS = 40 * 60_000;
/** How often a realtime stream checks its store against storage-size and buffer-duration. */
const PRESSURE_CHECK_MS = 100;

export class KvsStream {
  readonly #ring: Ring;
  readonly #report: Reporter;
  readonly #settings: KvsSinkSettings;
  readonly #log: LogFn;
  readonly #timestamps: TimestampMapper;
  readonly #latency = new LatencyRecorder();
  readonly #metrics: StreamMetrics;
  readonly #tracks = new Map<number, TrackInfo>();
  #fragmenter: Fragmenter | undefined;
  #connection: Promise<Connection> | undefined;
  #session: PutMediaSession | undefined;
  #sessionError: KvsError | undefined;
  readonly #store: ContentStore;
  readonly #resume: ResumeState;
  /** How many of the timestamp base's values are saved in #resume. */
  #savedBaseValues = 0;
  /** Orders the frames of an audio+video stream by timestamp; none for a single track. */
  #interleaver: Interleaver<PendingFrame> | undefined;
  #videoTrack: number | undefined;
  /** Timecode of the open fragment, and of the last frame written per track. */
  #clusterTc: number | undefined;
  readonly #lastTc = new Map<number, number>();
  readonly #reorderToleranceTc: number;
  #rejectionsInARow = 0;
  /** PutMedia sessions refused for their credentials since the last acknowledged fragment. */
  #authRetries = 0;
  /** When the current session last heard an ACK (or started). */
  #lastAckMs = 0;
  /** The current session has had an ACK: `connected` was posted for it. */
  #sessionAcked = false;
  /** When the current session must give way to a new one, at the next fragment boundary. */
  #rotateAtMs = Infinity;
  /** Sessions ended by a rotation that still owe acknowledgements, with their first fragment's successor. */
  readonly #retiring = new Map<PutMediaSession, number>();
  /** A rotation asks the provider for new credentials (re-read the file, fetch from IoT) before the next session. */
  #freshCredentialsForNextSession = false;
  /** Timecodes of fragments given up after a rejection, and whether the open one is one of them. */
  readonly #givenUp = new Set<number>();
  #skippingFragment = false;
  /** Records before this ring position are being read again for a replay. */
  #replayUntil = 0;
  #warnedUntimestamped = false;
  /** Frames read before every declared track had caps: sent once the header can be written. */
  #pending: RingRecord[] = [];
  #ending = false;
  #endDeadline = 0;
  #closed = false;
  #fatal = false;
  #attempt = 0;
  /** When each kind of warning (by code) was last posted: a repeated cause is posted every WARNING_INTERVAL_MS. */
  readonly #lastWarningMs = new Map<string, number>();
  #lastLatencyPressureMs = 0;
  #summary: StreamSummary = {
    frames: 0, fragments: 0, bytes: 0, acks: 0, persisted: 0, errors: 0, droppedFrames: 0, framesDroppedByPressure: 0,
    fragmentsDroppedByPressure: 0, framesLostToRejections: 0, framesLostAtStop: 0,
    sessions: 0,
    unacknowledged: 0,
  };
  /** Body bytes written so far in the current session, and per-frame end offsets for latency. */
  #bytesQueued = 0;
  /**
   * Frames read and not sent yet, outside the interleaver: the one being written and the rest of
   * its batch. A drop under pressure may come while a write waits (for a connection, a drain),
   * and counts these; the write then sees #dropEpoch changed and lets go of them.
   */
  #unsentFrame: PendingFrame | undefined;
  #unsentBatch: readonly PendingFrame[] = NO_FRAMES;
  #unsentFrom = 0;
  #dropEpoch = 0;

  constructor(ring: Ring, report: Reporter, settings: KvsSinkSettings, log: LogFn) {
    this.#ring = ring;
    this.#report = report;
    this.#settings = settings;
    this.#log = log;
    this.#store = new ContentStore(ring, () => this.#interleaver?.oldestPosition());
    this.#resume = new ResumeState(ring);
    const restored = this.#resume.load();
    this.#savedBaseValues = Number(restored.startNs !== undefined) + Number(restored.offsetNs !== undefined);
    this.#timestamps = new TimestampMapper(settings, restored);
    this.#videoTrack = settings.tracks.find((t) => t.kind === 'video')?.track;
    this.#metrics = new StreamMetrics({ recalculate: settings.recalculateMetrics,
      keyFrameTrack: this.#videoTrack ?? settings.tracks[0]?.track });
    this.#reorderToleranceTc = Math.round(REORDER_TOLERANCE_MS / settings.timecodeScaleMs);
    if (settings.tracks.length > 1) {
      this.#interleaver = new Interleaver(settings.tracks.map((t) => t.track),
        Math.round(INTERLEAVE_MAX_WAIT_MS / settings.timecodeScaleMs));
    }
    // A restarted worker may find the caps records released: the element sends the caps along.
    for (const t of settings.tracks) if (t.caps) this.#onCaps(t.track, t.caps);
  }

  get summary(): StreamSummary {
    return { ...this.#summary, unacknowledged: this.#store.unacknowledged };
  }

  get latency(): LatencyRecorder {
    return this.#latency;
  }

  /** Reads and handles records until the stream is closed, failed, or the element went away. */
  async run(): Promise<'closed' | 'failed' | 'element-gone'> {
    // The loop may wait long (a stalled connection, a backoff): the store is watched beside it.
    const pressureTimer = this.#settings.streamingType === 'realtime'
      ? setInterval(() => {
        this.#checkLatency();
        this.#relievePressure();
      }, PRESSURE_CHECK_MS) : undefined;
    pressureTimer?.unref();
    try {
      return await this.#readRecords();
    } finally {
      clearInterval(pressureTimer);
    }
  }

  async #readRecords(): Promise<'closed' | 'failed' | 'element-gone'> {
    let burst = 0;
    for (;;) {
      if (this.#fatal) return 'failed';
      if (this.#closed) return 'closed';
      if (this.#sessionError) await this.#recover();
      const rec = this.#fatal ? null : this.#ring.read();
      if (rec) {
        const pending = this.#handle(rec);
        if (pending) await pending;
        // The worker's other streams share this thread: a long backlog yields to them now and then.
        if (++burst >= YIELD_EVERY_RECORDS) {
          burst = 0;
          this.#checkStaleness();
          await new Promise<void>((resolve) => setImmediate(resolve));
        }
        continue;
      }
      burst = 0;
      if (this.#ending) {
        await this.#checkEnd();
        if (this.#closed || this.#fatal) continue;
      }
      this.#checkStaleness();
      // Offline uploads are about throughput: take records in bursts. Live streams take each
      // frame as it comes.
      const woke = await this.#ring.waitReadable(IDLE_TICK_MS,
        this.#settings.streamingType === 'offline' ? OFFLINE_COALESCE_US : 0);
      if (woke === 'hangup' && !this.#ring.read()) {
        // The element is gone (process exit or crash): nothing more can arrive.
        this.#abortSession('the element closed the ring');
        return 'element-gone';
      }
    }
  }

  /** Stops everything now (element gone, worker exiting). */
  close(): void {
    this.#abortSession('the worker is stopping');
    this.#abortRetiring('the worker is stopping');
    void this.#connection?.then((c) => c.client.destroy(), () => undefined);
  }

  // ------------------------------------------------------------------ records

  #handle(rec: RingRecord): Promise<void> | undefined {
    switch (rec.type) {
      case RecordType.FRAME:
        return this.#onFrame(rec);
      case RecordType.TRACK:
        this.#onCaps(rec.track, new TextDecoder().decode(rec.payload));
        return undefined;
      case RecordType.METADATA:
        this.#onMetadata(rec);
        return undefined;
      case RecordType.EOS:
      case RecordType.SHUTDOWN:
        return this.#onEnd(rec.type === RecordType.EOS ? 'eos' : 'shutdown');
      case RecordType.FLUSH:
        this.#log('debug', 'flush');
        return undefined;
      case RecordType.DROPPED_AT_ELEMENT:
        this.#onDroppedAtElement(rec);
        return undefined;
      case RecordType.CONFIG:
        return undefined;
      default:
        this.#log('warn', `unknown record type ${rec.type}`);
        return undefined;
    }
  }

  #onCaps(track: number, caps: string): void {
    const declared = this.#settings.tracks.find((t) => t.track === track);
    if (!declared) {
      this.#log('warn', `caps for undeclared track ${track}`);
      return;
    }
    const existing = this.#tracks.get(track);
    try {
      const video = declared.kind === 'video';
      const info = trackFromCaps(caps, {
        trackNumber: track,
        trackName: video || this.#settings.tracks.length === 1 ? this.#settings.trackName : 'audio',
        codecIdOverride: video && this.#settings.explicitlySet.has('codec-id') ? this.#settings.codecId : undefined,
      });
      if (existing && this.#session) {
        // KVS fixes CodecPrivate per session; a change needs a new session (DASH rejects in-session changes).
        if (!sameTrack(existing, info)) {
          this.#log('info', `track ${track} caps changed: starting a new PutMedia session`);
          this.#tracks.set(track, info);
          this.#restartSessionAtNextKeyFrame();
        }
        return;
      }
      this.#tracks.set(track, info);
      this.#log('debug', `track ${track}: ${info.track.codecId} (${info.contentType})`);
    } catch (err) {
      this.#failFatal({
        code: (err as { code?: string }).code ?? 'INVALID_CAPS',
        message: `Unsupported input on ${declared.pad}: ${(err as Error).message}`,
        debug: caps,
        domain: 'stream',
        gstCode: 'wrong-type',
      });
      return;
    }
    if (this.#allTracksKnown()) this.#startConnecting();
  }

  /**
   * The ring was full and the element dropped frames at its door (the store could not make room:
   * a single fragment held it all). Counted like every other drop; the element resumes at a key
   * frame flagged DISCONT, which starts a fragment, so no fragment spans the gap.
   */
  #onDroppedAtElement(rec: RingRecord): void {
    if (rec.position < this.#replayUntil) return; // read again for a replay: counted the first time
    const frames = Number(rec.aux);
    this.#summary.droppedFrames += frames;
    this.#report.message('kvs-frames-dropped', { cause: 'buffer-full', frames, track: rec.track,
      ...(rec.pts >= 0n ? { 'first-pts': rec.pts, 'last-pts': rec.dts } : {}) });
  }

  #onMetadata(rec: RingRecord): void {
    let item: { name?: unknown; value?: unknown; persistent?: unknown };
    try {
      item = JSON.parse(new TextDecoder().decode(rec.payload)) as typeof item;
    } catch {
      return;
    }
    try {
      this.#ensureFragmenter().addMetadata(String(item.name), String(item.value), item.persistent === true);
    } catch (err) {
      this.#warn({ code: (err as { code?: string }).code ?? 'INVALID_METADATA', message: `Fragment metadata ` +
        `"${String(item.name)}" was not added: ${(err as Error).message}`, domain: 'stream', gstCode: 'format' });
    }
  }

  async #onFrame(rec: RingRecord): Promise<void> {
    if (rec.flags & (FrameFlag.CORRUPTED | FrameFlag.DECODE_ONLY)) return;
    const metrics = this.#metrics.onFrame(rec, this.#ring.positions());
    if (metrics) this.#report.metrics(metrics);
    if (!this.#allTracksKnown()) {
      this.#pending.push(rec);
      return;
    }
    if (this.#pending.length > 0) {
      const pending = this.#pending;
      this.#pending = [];
      for (const p of pending) await this.#sendFrame(p);
    }
    await this.#sendFrame(rec);
  }

  async #sendFrame(rec: RingRecord): Promise<void> {
    let info = this.#tracks.get(rec.track);
    if (!info) {
      this.#log('warn', `frame for track ${rec.track} without caps: skipped`);
      return;
    }
    if (info.codecPrivatePending) {
      const completed = completeTrackFromFrame(info, rec.payload);
      if (!completed) {
        this.#countDrop('waiting for in-band codec parameters (SPS/PPS)', rec);
        return;
      }
      info = completed;
      this.#tracks.set(rec.track, info);
    } else if (info.needsAnnexBConversion && (rec.flags & FrameFlag.KEY) !== 0) {
      const changed = trackChangedInBand(info, rec.payload);
      if (changed) {
        this.#log('info', `track ${rec.track}: new in-band parameter sets at a key frame: starting a new PutMedia session`);
        info = changed;
        this.#tracks.set(rec.track, info);
        if (this.#session) this.#restartSessionAtNextKeyFrame();
      }
    }
    const arrivalEpochNs = this.#arrivalEpochNs(rec.aux);
    let epochNs: bigint;
    try {
      epochNs = this.#timestamps.epochNs(rec.pts, rec.dts, arrivalEpochNs, rec.track);
    } catch (err) {
      if (err instanceof TimestampError) {
        this.#failFatal({ code: 'INVALID_TIMESTAMP', message: err.message, domain: 'stream', gstCode: 'format' });
        return;
      }
      throw err;
    }
    if (this.#savedBaseValues < 2) this.#saveTimestampBase();
    if (this.#timestamps.untimestampedFrames > 0 && !this.#warnedUntimestamped) {
      this.#warnedUntimestamped = true;
      this.#warn({ code: 'NO_TIMESTAMPS', message: 'Buffers arrive without timestamps (no PTS or DTS): kvssink ' +
        'stamps them with the time they reached it, strictly increasing per track. Timestamp them upstream ' +
        '(e.g. do-timestamp=true on the source) for accurate times.', domain: 'stream', gstCode: 'format' });
    }
    const frame: PendingFrame = {
      track: rec.track, tc: this.#timestamps.toTimecode(epochNs), position: rec.position, rec, info,
    };
    if (!this.#interleaver) {
      await this.#writeFrame(frame);
      return;
    }
    const ready = this.#interleaver.push(frame);
    await this.#writeBatch(ready);
  }

  /** Writes frames the interleaver let go of, in order, until one cannot be sent. */
  async #writeBatch(batch: readonly PendingFrame[]): Promise<void> {
    this.#unsentBatch = batch;
    for (let i = 0; i < batch.length; i++) {
      this.#unsentFrom = i + 1;
      if (!(await this.#writeFrame(batch[i]!, batch, i + 1))) break;
    }
    this.#unsentBatch = NO_FRAMES;
  }

  /**
   * Writes one frame (in timestamp order) to the session. Returns false when it could not: the
   * frame, the rest of its batch and whatever the interleaver holds are read again later.
   */
  async #writeFrame(frame: PendingFrame, batch: readonly PendingFrame[] = NO_FRAMES, restFrom = 0): Promise<boolean> {
    this.#unsentFrame = frame;
    try {
      return await this.#writeFrameUnsent(frame, batch, restFrom);
    } finally {
      this.#unsentFrame = undefined;
    }
  }

  async #writeFrameUnsent(frame: PendingFrame, batch: readonly PendingFrame[], restFrom: number): Promise<boolean> {
    const { rec, info } = frame;
    const keyframe = (rec.flags & FrameFlag.KEY) !== 0;
    const laggedTrack = this.#interleaver !== undefined && rec.track !== this.#videoTrack;
    const previousTc = this.#lastTc.get(rec.track) ?? this.#clusterTc;
    if (this.#clusterTc !== undefined && this.#session && previousTc !== undefined && (laggedTrack
      ? frame.tc < this.#clusterTc : frame.tc < previousTc - this.#reorderToleranceTc)) {
      // Before the start of the open fragment: KVS refuses a fragment that starts before the
      // previous one ended (4004), and the producer SDK a frame before its fragment's start
      // (STATUS_MKV_INVALID_FRAME_TIMESTAMP, guide ~L3801). Video frames of an open GOP may
      // legitimately show a little before their key frame: only a larger jump is a restart.
      if (!laggedTrack) {
        this.#warn({ code: 'TIMESTAMPS_WENT_BACK', message: `Timestamps on track ${rec.track} went back by ` +
          `${previousTc - frame.tc} timecode units: the source or ` +
          'its clock restarted. Frames before the next key frame are dropped; at that key frame a new PutMedia ' +
          'session starts, since fragments of one session must not go back in time.', domain: 'stream', gstCode: 'format' });
      }
      if ((keyframe && rec.track === this.#videoTrack) || this.#videoTrack === undefined) {
        this.#restartSessionAtNextKeyFrame();
      } else {
        this.#countDrop(laggedTrack ? 'it arrived after a later fragment had started (its track lagged more ' +
          `than ${INTERLEAVE_MAX_WAIT_MS} ms behind the others)` : 'its timestamp went back before the open fragment', rec);
        return true;
      }
    }
    const epoch = this.#dropEpoch;
    if (!this.#session) {
      const opened = await this.#openSession();
      if (epoch !== this.#dropEpoch) return false; // dropped (and counted) meanwhile
      if (!opened) return this.#requeue(frame, batch, restFrom);
    }
    if (Date.now() >= this.#rotateAtMs && this.#fragmenter?.startsFragment({ track: rec.track, keyframe, ptsTc: frame.tc })) {
      this.#rotateSession(frame.tc);
      const opened = await this.#openSession();
      if (epoch !== this.#dropEpoch) return false;
      if (!opened) return this.#requeue(frame, batch, restFrom);
    }
    const session = this.#session!;
    this.#lastTc.set(rec.track, frame.tc);
    const out = this.#ensureFragmenter().push({
      track: rec.track, ptsTc: frame.tc, dtsTc: frame.tc, durationTc: this.#timestamps.durationTimecode(rec.duration),
      keyframe, discont: (rec.flags & FrameFlag.DISCONT) !== 0, payload: adaptFrame(info, rec.payload),
    });
    for (const ev of out.events) this.#onFragmenterEvent(ev, rec);
    if (out.pieces.length === 0 || this.#skippingFragment) return true;
    if (!session.writable) return this.#requeue(frame, batch, restFrom);
    this.#store.frameSent(rec.next);
    this.#unsentFrame = undefined;
    // Registered before writing, so the latency recorder knows the frame when its bytes are reported.
    this.#bytesQueued += out.byteLength;
    this.#latency.frameQueued(this.#bytesQueued, rec.aux);
    let ok = true;
    for (const piece of out.pieces) ok = session.write(piece);
    this.#summary.frames++;
    this.#summary.bytes += out.byteLength;
    if (!ok) {
      try {
        await session.drain();
      } catch {
        // The session ended; its `closed` handler records why and the loop recovers.
      }
      if (epoch !== this.#dropEpoch) return false;
    }
    return true;
  }

  #onFragmenterEvent(ev: FragmenterEvent, rec: RingRecord): void {
    if (ev.kind === 'fragment-start') {
      // A fragment KVS refused for good is not sent again when a replay comes across it.
      this.#skippingFragment = this.#givenUp.has(ev.timecode);
      if (this.#skippingFragment) return;
      // A replay of this fragment starts at its key frame, or at an older frame the interleaver
      // still holds (audio that arrived before the key frame but belongs after it).
      const held = this.#interleaver?.oldestPosition();
      this.#store.fragmentStarted(ev.timecode, held !== undefined && held < rec.position ? held : rec.position);
      this.#log('debug', `fragment ${ev.timecode} starts at ring position ${rec.position}`);
      this.#clusterTc = ev.timecode;
      this.#summary.fragments++;
      if (ev.forced) {
        this.#warn({ code: 'NO_KEY_FRAME', message: 'No key frame for over 32 s: a fragment had to start without ' +
          'one and KVS may reject it. Configure the encoder with a shorter key-frame interval (e.g. x264enc key-int-max).',
          domain: 'stream', gstCode: 'format' });
      }
    } else {
      this.#countDrop(ev.reason === 'awaiting-key-frame' ? 'waiting for the first key frame' : ev.reason, rec);
    }
  }

  async #onEnd(kind: 'eos' | 'shutdown'): Promise<void> {
    if (kind === 'shutdown') {
      this.#stopNow();
      return;
    }
    if (this.#ending) return;
    this.#ending = true;
    this.#endDeadline = Date.now() + this.#settings.stopStreamTimeoutMs;
    this.#log('info', `${kind === 'eos' ? 'EOS' : 'shutdown'}: closing the last fragment (ring position ${this.#ring.positions().read})`);
    if (this.#pending.length > 0 && !this.#allTracksKnown()) {
      this.#warn({ code: 'MISSING_CAPS', message: 'The stream ended before every pad received caps: ' +
        `${this.#pending.length} frames could not be sent.`, domain: 'stream', gstCode: 'format' });
      this.#pending = [];
    }
    if (this.#interleaver && this.#interleaver.size > 0) await this.#writeBatch(this.#interleaver.drain());
    const session = this.#session;
    if (session && session.writable && this.#store.unacknowledged > 0) {
      session.write(this.#ensureFragmenter().end());
      this.#store.closeLast();
    }
    await this.#checkEnd();
  }

  /**
   * The element stops without EOS (PLAYING to NULL): that means now, whatever the network does.
   * What KVS has not acknowledged is not delivered, and the bus says how much.
   */
  #stopNow(): void {
    const lost = this.#store.heldFrames + (this.#interleaver?.size ?? 0) + this.#pending.length;
    this.#summary.framesLostAtStop = lost;
    this.#log('info', `stopped without EOS: ${lost} frame(s) not acknowledged`);
    if (lost > 0) {
      this.#report.warning({ code: 'STOPPED_WITHOUT_EOS', message: `The pipeline stopped without EOS: ${lost} ` +
        'frame(s) not yet acknowledged by KVS are not delivered. Send EOS before stopping (gst-launch-1.0 -e, ' +
        'or gst_element_send_event with an EOS event) to deliver everything within stop-stream-timeout.',
      domain: 'resource', gstCode: 'write' });
    }
    this.#abortSession('stopped without EOS');
    this.#abortRetiring('stopped without EOS');
    this.#closed = true;
  }

  /** While ending: close once every fragment is acknowledged, or at stop-stream-timeout. */
  async #checkEnd(): Promise<void> {
    const waitForAcks = this.#settings.fragmentAcks && this.#session !== undefined;
    const outstanding = waitForAcks ? this.#store.unacknowledged : 0;
    if (outstanding > 0 && Date.now() < this.#endDeadline && !this.#sessionError) return;
    if (outstanding > 0 && !this.#sessionError) {
      this.#warn({ code: 'STOP_TIMEOUT', message: `${outstanding} fragment(s) were not acknowledged within ` +
        `stop-stream-timeout (${this.#settings.stopStreamTimeoutMs / 1000} s); they may be lost.`,
        domain: 'resource', gstCode: 'write' });
    }
    if (outstanding > 0 && this.#sessionError) return; // run() recovers and replays first
    const session = this.#session;
    if (session && outstanding > 0) {
      // stop-stream-timeout is over: no more waiting for acknowledgements that did not come.
      session.abort('stop-stream-timeout reached');
    } else if (session) {
      session.end();
      const result = await Promise.race([session.closed, sleep(SESSION_CLOSE_WAIT_MS).then(() => undefined)]);
      if (!result) session.abort('the session did not close after the stream ended');
    }
    if (!this.#settings.fragmentAcks) this.#store.releaseAll();
    this.#closed = true;
  }

  // ------------------------------------------------------------------ connection

  #allTracksKnown(): boolean {
    return this.#settings.tracks.every((t) => this.#tracks.has(t.track));
  }

  #ensureFragmenter(): Fragmenter {
    if (!this.#fragmenter) {
      const video = this.#settings.tracks.find((t) => t.kind === 'video');
      this.#fragmenter = new Fragmenter({
        keyFrameFragmentation: video ? this.#settings.keyFrameFragmentation : false,
        fragmentDurationTc: Math.max(1, Math.round(this.#settings.fragmentDurationMs / this.#settings.timecodeScaleMs)),
        minFragmentDurationTc: Math.round(MIN_FRAGMENT_DURATION_MS / this.#settings.timecodeScaleMs),
        videoTrack: video?.track,
      });
    }
    return this.#fragmenter;
  }

  /** Control plane: resolve credentials and endpoint, make sure the stream exists, get the data endpoint. */
  #startConnecting(): void {
    if (this.#connection) return;
    const connection = this.#connect();
    this.#connection = connection;
    connection.catch((err: unknown) => this.#onConnectFailed(err));
  }

  async #connect(): Promise<Connection> {
    const s = this.#settings;
    const region = resolveRegion({ value: s.awsRegion, isDefault: !s.explicitlySet.has('aws-region') }).region;
    const endpoint = resolveControlPlaneEndpoint(region);
    const creds = resolveCredentialProvider({
      accessKey: s.accessKey, secretKey: s.secretKey, sessionToken: s.sessionToken, credentialPath: s.credentialPath,
      iotCertificate: s.iotCertificate, streamName: s.streamName,
    }, process.env, { log: this.#log });
    this.#log('info', `stream "${s.streamName}" in ${region} via ${endpoint.url} (${endpoint.source}); ` +
      `credentials from ${creds.description}`);
    const client = createControlPlaneClient({
      region, endpoint: endpoint.url, credentials: creds.provider, userAgent: s.userAgent,
      connectTimeoutMs: s.connectionTimeoutMs, requestTimeoutMs: s.completionTimeoutMs,
    });
    const contentType = s.explicitlySet.has('content-type') ? s.contentType
      : streamContentType([...this.#tracks.values()]);
    const prepared = await prepareStream({
      client, streamName: s.streamName, allowCreate: s.allowCreateStream, retentionHours: s.retentionHours,
      mediaType: contentType, tags: parseStreamTags(s.streamTags), log: this.#log,
    });
    const dataEndpoint = await getPutMediaEndpoint({ client, streamName: s.streamName });
    this.#log('info', `stream ${prepared.created ? 'created' : 'found'}: ${prepared.streamArn}; data endpoint ${dataEndpoint}`);
    this.#report.message('kvs-stream-ready', { 'stream-name': s.streamName, 'stream-arn': prepared.streamArn,
      created: prepared.created, 'data-endpoint': dataEndpoint });
    return { client, endpoint: dataEndpoint, endpointFetchedMs: Date.now(), credentials: creds.provider, region,
      releaseOn: prepared.retentionHours === 0 ? 'RECEIVED' : 'PERSISTED' };
  }

  #onConnectFailed(err: unknown): void {
    const e = toKvsError(err);
    if (!e.retriable || !this.#settings.restartOnError) {
      this.#failFatal(problemFromError(e));
      return;
    }
    this.#warn(problemFromError(e));
    this.#connection = undefined;
    this.#sessionError = e;
  }

  async #openSession(): Promise<boolean> {
    if (!this.#connection) this.#startConnecting();
    let conn: Connection;
    try {
      conn = await this.#connection!;
    } catch {
      return false; // reported by #onConnectFailed; run() retries
    }
    if (this.#fatal) return false;
    if (this.#freshCredentialsForNextSession) {
      this.#freshCredentialsForNextSession = false;
      // A failure here shows in the session's own signing, with its cause.
      await conn.credentials({ forceRefresh: true }).catch(() => undefined);
    }
    const s = this.#settings;
    const startMs = this.#timestamps.producerStartMs ?? Date.now();
    const tracks = [...this.#tracks.values()].sort((a, b) => a.track.number - b.track.number);
    const session = openPutMedia({
      endpoint: conn.endpoint, streamName: s.streamName, region: conn.region, credentials: conn.credentials,
      timecodeType: this.#timestamps.timecodeType, producerStartTimeMs: startMs, ackRequired: s.fragmentAcks,
      userAgent: `${s.userAgent} kvssink/0.1.0`, connectTimeoutMs: s.connectionTimeoutMs, log: this.#log,
      onAck: (ack) => this.#onAck(ack, conn, session),
      onChunkWritten: (bytes) => this.#latency.bytesWritten(bytes),
    });
    this.#session = session;
    this.#sessionAcked = false;
    this.#lastAckMs = Date.now();
    this.#rotateAtMs = await this.#rotationTime(conn, this.#lastAckMs);
    this.#summary.sessions++;
    this.#bytesQueued = 0;
    this.#latency.newSession();
    void session.closed.then((result) => this.#onSessionClosed(session, result));
    this.#ensureFragmenter().reset();
    const header = encodeStreamHeader({
      timecodeScaleNs: s.timecodeScaleMs * 1_000_000,
      segmentUuid: randomBytes(16),
      title: 'kvssink',
      muxingApp: 'kvssink',
      writingApp: 'kvssink',
      tracks: tracks.map((t) => t.track),
    });
    session.write(header);
    this.#bytesQueued += header.length;
    this.#summary.bytes += header.length;
    return true;
  }

  #onSessionClosed(session: PutMediaSession, result: PutMediaResult): void {
    const nextTimecode = this.#retiring.get(session);
    if (nextTimecode !== undefined) {
      this.#retiring.delete(session);
      // A rotated-out session that failed before acknowledging its last fragments: replay them
      // (the service deduplicates what the newer session sent again).
      const first = this.#store.oldestTimecode;
      if (!result.ok && first !== undefined && first < nextTimecode && this.#session) {
        this.#sessionError ??= result.error ?? new KvsError({ code: 'SESSION_FAILED', retriable: true,
          message: 'A PutMedia session ended by rotation failed before its last fragments were acknowledged.' });
      }
      return;
    }
    if (session !== this.#session) return;
    if (result.ok) return;
    const error = result.error ?? new KvsError({ code: 'SESSION_FAILED', retriable: true,
      message: 'The PutMedia session ended unexpectedly.' });
    this.#log('debug', `PutMedia session ended: ${error.code}: ${error.message}`);
    this.#sessionError = error;
  }

  #onAck(ack: FragmentAck, conn: Connection, from: PutMediaSession): void {
    this.#summary.acks++;
    this.#lastAckMs = Date.now();
    // A rotated-out session's last ACKs say nothing about the new one.
    if (!this.#sessionAcked && from === this.#session) {
      this.#sessionAcked = true;
      this.#postConnectionState('connected', {});
    }
    this.#report.ack({ 'event-type': ack.type, 'fragment-timecode': ack.fragmentTimecode,
      'fragment-number': ack.fragmentNumber, 'error-id': ack.errorId }, this.#settings.timecodeScaleMs);
    if (ack.type === 'IDLE' || ack.fragmentTimecode === undefined) return;
    this.#attempt = 0;
    if (ack.type === 'ERROR') {
      this.#onRejected(ack.fragmentTimecode, ack.errorId ?? 5000, ack.errorCode);
      return;
    }
    if (ack.type !== 'BUFFERING') {
      this.#rejectionsInARow = 0;
      this.#authRetries = 0;
    }
    if (ack.type === 'RECEIVED') this.#store.received(ack.fragmentTimecode);
    if (ack.type === conn.releaseOn || ack.type === 'PERSISTED') {
      if (ack.type === 'PERSISTED') this.#summary.persisted++;
      this.#store.acknowledged(ack.fragmentTimecode);
    }
  }

  /**
   * An ERROR ack. A fragment KVS refuses is lost data unless it can be sent again, so none is
   * silent: each gets an element message (kvs-fragment-rejected) and a warning, and several in
   * a row stop the stream with an error, since the next ones would most likely share their fate.
   */
  #onRejected(timecode: number, errorId: number, errorCode: string | undefined): void {
    this.#summary.errors++;
    this.#rejectionsInARow++;
    const error = ackError(errorId, errorCode);
    // Resending a fragment that is itself bad cannot succeed: give it up and go on after it.
    const lost = error.retriable ? 0 : (this.#store.giveUp(timecode) ?? 0);
    if (!error.retriable) this.#givenUp.add(timecode);
    this.#summary.framesLostToRejections += lost;
    this.#report.message('kvs-fragment-rejected', {
      'fragment-timecode': timecode, 'error-id': errorId, 'error-code': error.code, 'frames-lost': lost,
      resent: error.retriable, 'rejections-in-a-row': this.#rejectionsInARow,
    });
    const what = `KVS rejected the fragment at timecode ${timecode} (ERROR ${errorId} ${error.code}): ${error.message}`;
    const fatal = (!error.recoverable && !error.retriable) || this.#rejectionsInARow >= MAX_REJECTIONS_IN_A_ROW;
    if (fatal) {
      this.#failFatal({ ...problemFromError(error), message: this.#rejectionsInARow > 1
        ? `${what} That is ${this.#rejectionsInARow} rejections in a row: the stream stops.` : what });
      return;
    }
    this.#log('warn', what);
    this.#report.warning({ ...problemFromError(error), message: `${what} ${error.retriable
      ? 'It is sent again.' : `Its ${lost} frame(s) are lost.`}` });
    this.#sessionError ??= error;
    this.#session?.abort(error);
  }

  /**
   * connection-staleness: no ACK for that long while fragments wait for one means the
   * connection is dead even if the socket is not: start a new one, which resends them.
   */
  #checkStaleness(): void {
    const stalenessMs = this.#settings.connectionStalenessMs;
    if (stalenessMs <= 0 || !this.#session || this.#sessionError || this.#store.unacknowledged === 0) return;
    const silentMs = Date.now() - this.#lastAckMs;
    if (silentMs < stalenessMs) return;
    const error = new KvsError({ code: 'CONNECTION_STALE', retriable: true,
      message: `No acknowledgement from KVS for ${(silentMs / 1000).toFixed(1)} s (connection-staleness ` +
        `${stalenessMs / 1000} s): reconnecting; unacknowledged fragments are sent again.` });
    this.#sessionError = error;
    this.#session.abort(error);
  }

  /**
   * max-latency: a frame that has waited that long to be sent means the connection does not keep
   * up (a stalled socket, a path that got slow). Report it and start a new connection, as the
   * producer SDK does on stream latency pressure.
   */
  #checkLatency(): void {
    const maxLatencyMs = this.#settings.maxLatencyMs;
    const session = this.#session;
    if (maxLatencyMs <= 0 || !session || this.#sessionError || this.#closed || this.#fatal || this.#ring.closed) return;
    const nowMs = Date.now();
    if (nowMs - this.#lastLatencyPressureMs < maxLatencyMs) return;
    // The oldest frame KVS has not acknowledged: what the kernel's socket buffers hold counts too.
    const p = this.#ring.positions();
    if (p.released >= p.writtenForward) return;
    const oldest = this.#firstFrameFrom(p.released);
    this.#ring.seek(p.read);
    if (!oldest || oldest.aux <= 0n) return;
    const backlogMs = Number(process.hrtime.bigint() - oldest.aux) / 1e6;
    if (backlogMs <= maxLatencyMs) return;
    this.#lastLatencyPressureMs = nowMs;
    this.#report.message('kvs-latency-pressure', { 'backlog-ms': Math.round(backlogMs), 'max-latency-ms': maxLatencyMs,
      'backlog-bytes': p.writtenForward - p.released });
    const error = new KvsError({ code: 'LATENCY_PRESSURE', retriable: true,
      message: `The oldest frame not yet acknowledged is ${(backlogMs / 1000).toFixed(1)} s old, more than max-latency ` +
        `(${maxLatencyMs / 1000} s): the connection does not keep up and is replaced.` });
    this.#sessionError = error;
    session.abort(error);
  }

  /**
   * Realtime: when the store holds more than storage-size allows or older media than
   * buffer-duration, whole fragments go from the oldest end (src/store/pressure.ts), the session
   * carrying them is replaced, and the bus says how many frames went and which times.
   */
  #relievePressure(): void {
    if (this.#closed || this.#fatal || this.#ring.closed) return;
    const p = this.#ring.positions();
    const heldBytes = p.writtenForward - p.released;
    if (heldBytes === 0) return;
    const nowNs = process.hrtime.bigint();
    const ageMs = (auxNs: bigint): number => (auxNs > 0n && auxNs < nowNs ? Number(nowNs - auxNs) / 1e6 : 0);
    const oldestFrame = this.#firstFrameFrom(p.released);
    const level: StoreLevel = { heldBytes, capacityBytes: p.capacityForward,
      oldestAgeMs: oldestFrame ? ageMs(oldestFrame.aux) : 0, bufferDurationMs: this.#settings.bufferDurationMs };
    this.#ring.seek(p.released);
    const oldest = this.#ring.read();
    const cause = pressureCause(level);
    if (!cause) {
      this.#ring.seek(p.read);
      return;
    }
    // Where fragments start: among the frames sent, where the store's fragments start (a key frame
    // inside one is no place to cut it); among those not read yet, any key frame. And the frames
    // not yet read, counted if they go.
    const heldStarts = new Set(this.#store.fragmentStarts());
    const cuts: CutPoint[] = [];
    const unread: Array<{ position: number; pts: bigint }> = [];
    const ptsOf = new Map<number, bigint>();
    /** Records whose effect outlives a drop: caps, and the element's own drop counts. */
    const kept: RingRecord[] = [];
    let framesBefore = 0;
    let scanEnd = p.writtenForward;
    for (let rec = oldest; rec; rec = this.#ring.read()) {
      if (rec.type === RecordType.EOS || rec.type === RecordType.SHUTDOWN) {
        scanEnd = rec.position;
        break;
      }
      if (rec.type === RecordType.TRACK || rec.type === RecordType.DROPPED_AT_ELEMENT) kept.push({ ...rec, payload: rec.payload.slice() });
      if (rec.type !== RecordType.FRAME || (rec.flags & (FrameFlag.CORRUPTED | FrameFlag.DECODE_ONLY))) continue;
      ptsOf.set(rec.position, rec.pts);
      if (rec.position >= p.read) unread.push({ position: rec.position, pts: rec.pts });
      const startsFragment = this.#videoTrack === undefined || (rec.track === this.#videoTrack && (rec.flags & FrameFlag.KEY) !== 0);
      // A cut leaves at least one frame behind it.
      if (framesBefore > 0 && (rec.position >= p.read ? startsFragment : heldStarts.has(rec.position))) {
        cuts.push({ position: rec.position, ageMs: ageMs(rec.aux) });
      }
      framesBefore++;
    }
    this.#ring.seek(p.read);
    const cut = chooseCut(cuts, p.writtenForward, level)?.position;
    if (cut !== undefined) {
      this.#dropBefore(cut, cause, unread, ptsOf, kept, false);
    } else if (heldBytes > p.capacityForward * STORAGE_LAST_RESORT && framesBefore > 0) {
      // One fragment holds it all and the element is about to drop at the door, key frames
      // included, so that no later fragment could start: the oversized one goes whole.
      this.#dropBefore(scanEnd, cause, unread, ptsOf, kept, true);
    }
  }

  /** The first frame record at or after `position` (the read cursor moves: the caller puts it back). */
  #firstFrameFrom(position: number): RingRecord | null {
    this.#ring.seek(position);
    for (let rec = this.#ring.read(); rec; rec = this.#ring.read()) if (rec.type === RecordType.FRAME) return rec;
    return null;
  }

  #dropBefore(cut: number, cause: PressureCause, unread: ReadonlyArray<{ position: number; pts: bigint }>,
    ptsOf: ReadonlyMap<number, bigint>, kept: readonly RingRecord[], oversized: boolean): void {
    let unsent = this.#interleaver?.countBefore(cut) ?? 0;
    if (this.#unsentFrame && this.#unsentFrame.position < cut) unsent++;
    for (let i = this.#unsentFrom; i < this.#unsentBatch.length; i++) if (this.#unsentBatch[i]!.position < cut) unsent++;
    for (const u of unread) if (u.position < cut) unsent++;
    this.#dropEpoch++;
    this.#unsentBatch = NO_FRAMES;
    this.#unsentFrame = undefined;
    this.#abortSession(`dropping the oldest fragments (${cause})`);
    this.#abortRetiring(`dropping the oldest fragments (${cause})`);
    this.#interleaver?.clear();
    this.#replayUntil = Math.max(this.#replayUntil, this.#ring.positions().read);
    const held = this.#store.dropBefore(cut);
    this.#forgetOpenFragment();
    // A caps change in what went still applies to what is kept; the element's drops still count.
    for (const rec of kept) {
      if (rec.position >= cut) continue;
      if (rec.type === RecordType.TRACK) this.#onCaps(rec.track, new TextDecoder().decode(rec.payload));
      else this.#onDroppedAtElement(rec);
    }
    const frames = held.frames + unsent;
    let firstPts: bigint | undefined;
    let lastPts: bigint | undefined;
    for (const [position, pts] of ptsOf) {
      if (position >= cut || pts < 0n) continue;
      if (firstPts === undefined || pts < firstPts) firstPts = pts;
      if (lastPts === undefined || pts > lastPts) lastPts = pts;
    }
    const fragments = Math.max(held.fragments, frames > 0 ? 1 : 0);
    this.#summary.droppedFrames += frames;
    this.#summary.framesDroppedByPressure += frames;
    this.#summary.fragmentsDroppedByPressure += fragments;
    this.#log('info', `${cause}: dropped ${frames} frame(s) in ${fragments} fragment(s) before ring position ${cut}`);
    this.#report.message('kvs-frames-dropped', {
      cause, frames, fragments, ...(firstPts !== undefined ? { 'first-pts': firstPts, 'last-pts': lastPts } : {}),
      'total-frames': this.#summary.framesDroppedByPressure,
    });
    const limit = cause === 'storage-size'
      ? `the stream buffer (storage-size=${this.#settings.storageSizeBytes / 1024 / 1024} MB) is ${Math.round(STORAGE_HIGH_WATER * 100)}% full`
      : `it holds more than buffer-duration (${this.#settings.bufferDurationMs / 1000} s) of media`;
    if (oversized) {
      this.#warn({ code: 'FRAGMENT_LARGER_THAN_STORE', message: `A single fragment outgrew the stream buffer ` +
        `(storage-size=${this.#settings.storageSizeBytes / 1024 / 1024} MB) before KVS acknowledged it: its ${frames} frame(s) ` +
        `were dropped whole; ${this.#summary.framesDroppedByPressure} so far. Use a shorter key-frame interval ` +
        '(e.g. x264enc key-int-max), a lower bitrate, or raise storage-size.', domain: 'resource', gstCode: 'write' });
      return;
    }
    this.#warn({ code: 'FRAMES_DROPPED', message: `KVS is not keeping up and ${limit}: the oldest ${frames} frame(s) ` +
      `(${fragments} whole fragment(s)) were dropped to keep the newest; ${this.#summary.framesDroppedByPressure} so far. ` +
      'Check the network, lower the bitrate, or raise storage-size and buffer-duration.', domain: 'resource', gstCode: 'write' });
  }

  /**
   * `kvs-connection-state` for applications: `connected` once a session has its first ACK,
   * `reconnecting` (cause, attempt, delay) before each retry, with what waits in the store.
   */
  #postConnectionState(state: 'connected' | 'reconnecting', fields: Record<string, string | number>): void {
    const p = this.#ring.positions();
    this.#report.message('kvs-connection-state', {
      state, ...fields, session: this.#summary.sessions,
      'backlog-bytes': p.writtenForward - p.released, 'unacknowledged-fragments': this.#store.unacknowledged,
    });
  }

  /** Saves what the timestamp mapper fixed, once, so that a restarted worker keeps the times. */
  #saveTimestampBase(): void {
    const base = this.#timestamps.base;
    const values = Number(base.startNs !== undefined) + Number(base.offsetNs !== undefined);
    if (values <= this.#savedBaseValues) return;
    this.#resume.save(base);
    this.#savedBaseValues = values;
  }

  /** After a failed session: back off, then replay from the first unacknowledged fragment. */
  async #recover(): Promise<void> {
    const error = this.#sessionError!;
    this.#sessionError = undefined;
    this.#abortSession('recovering');
    if (this.#fatal) return;
    // Expired or refused credentials on a PutMedia session: fresh ones are fetched and the
    // session retried; keys that keep being refused become an error after a few tries.
    const authRetry = error.refreshCredentials === true && this.#authRetries < MAX_AUTH_RETRIES;
    if (authRetry) this.#authRetries++;
    const recoverable = error.retriable || error.recoverable === true || authRetry;
    if (!recoverable || !this.#settings.restartOnError) {
      this.#failFatal(problemFromError(error));
      return;
    }
    if (error.refreshEndpoint || error.refreshCredentials) this.#connection = undefined;
    const delay = retryDelayMs(error, this.#attempt);
    this.#attempt++;
    this.#postConnectionState('reconnecting', { cause: error.code, attempt: this.#attempt, 'retry-in-ms': delay });
    this.#warn({ ...problemFromError(error), message: `${error.message} Retrying in ${(delay / 1000).toFixed(1)} s ` +
      `(attempt ${this.#attempt}); frames are kept in the buffer meanwhile.` });
    await sleep(delay);
    this.#limitReplay();
    const held = this.#interleaver?.oldestPosition();
    this.#interleaver?.clear();
    this.#replayUntil = this.#ring.positions().read;
    const rewound = this.#store.rewind();
    if (!rewound && held !== undefined) this.#store.unread(held);
    this.#log('debug', `replaying from ring position ${this.#ring.positions().read} (read up to ${this.#replayUntil})`);
    this.#forgetOpenFragment();
    // A replay reads the EOS record again; with nothing to replay (a session that failed after
    // its last ACK) the stream is still ending, or it would wait for an EOS already read.
    if (rewound || held !== undefined) this.#ending = false;
  }

  /** What is read next starts a new fragment (after a replay's rewind or a drop). */
  #forgetOpenFragment(): void {
    this.#clusterTc = undefined;
    this.#lastTc.clear();
    this.#fragmenter?.reset();
  }

  /**
   * When the session opened now must be replaced: after rotation-period (capped below the
   * service's connection limit), or before the credentials that signed it expire.
   */
  async #rotationTime(conn: Connection, nowMs: number): Promise<number> {
    const periodMs = this.#settings.rotationPeriodS > 0 ? this.#settings.rotationPeriodS * 1000 : MAX_SESSION_MS;
    let at = nowMs + Math.min(periodMs, MAX_SESSION_MS);
    try {
      const expiration = (await conn.credentials()).expiration?.getTime();
      if (expiration !== undefined) {
        const beforeExpiry = expiration - Math.min(ROTATE_BEFORE_EXPIRY_MS, Math.max(0, expiration - nowMs) / 2);
        at = Math.min(at, Math.max(beforeExpiry, nowMs + MIN_SESSION_MS));
      }
    } catch {
      // The session's own signing reports credential problems.
    }
    return at;
  }

  /**
   * Ends the session at a fragment boundary so that a new one (fresh credentials, a connection
   * well inside the service's limit) carries on from the frame about to start a fragment: no gap,
   * nothing sent twice. The old session stays open until KVS has acknowledged what it carried.
   */
  #rotateSession(nextTimecode: number): void {
    const old = this.#session;
    if (!old) return;
    this.#log('info', `rotating the PutMedia session at fragment ${nextTimecode} (session ${this.#summary.sessions})`);
    if (old.writable) old.write(this.#ensureFragmenter().end());
    this.#store.closeLast();
    this.#retiring.set(old, nextTimecode);
    this.#freshCredentialsForNextSession = true;
    old.end();
    this.#session = undefined;
    this.#rotateAtMs = Infinity;
    void this.#connection?.then((conn) => this.#refreshEndpoint(conn), () => undefined);
  }

  /** Caching the data endpoint is safe if it is fetched again now and then and on failure (guide ~L5921). */
  async #refreshEndpoint(conn: Connection): Promise<void> {
    if (Date.now() - conn.endpointFetchedMs < ENDPOINT_CACHE_MS) return;
    conn.endpointFetchedMs = Date.now();
    try {
      conn.endpoint = await getPutMediaEndpoint({ client: conn.client, streamName: this.#settings.streamName });
    } catch (err) {
      this.#log('warn', `GetDataEndpoint failed; the cached data endpoint stays in use: ${toKvsError(err).message}`);
    }
  }

  /** A replay goes back at most replay-duration from the newest fragment sent (guide ~L4891). */
  #limitReplay(): void {
    const newest = this.#store.newestTimecode;
    if (newest === undefined) return;
    const skipped = this.#store.giveUpOlderThan(newest - this.#settings.replayDurationMs / this.#settings.timecodeScaleMs);
    if (skipped.frames === 0) return;
    this.#summary.droppedFrames += skipped.frames;
    this.#report.message('kvs-frames-dropped', { cause: 'replay-duration', frames: skipped.frames, fragments: skipped.fragments });
    this.#warn({ code: 'FRAMES_NOT_RESENT', message: `${skipped.frames} frame(s) (${skipped.fragments} fragment(s)) sent ` +
      `but not acknowledged are older than replay-duration (${this.#settings.replayDurationMs / 1000} s) and are not ` +
      'sent again; raise replay-duration to resend more after a failure.', domain: 'resource', gstCode: 'write' });
  }

  #restartSessionAtNextKeyFrame(): void {
    this.#session?.end();
    this.#session = undefined;
    this.#clusterTc = undefined;
    this.#lastTc.clear();
  }

  /** The frame was not sent: read it (and every frame not yet sent) again once the session is back. */
  #requeue(frame: PendingFrame, batch: readonly PendingFrame[], restFrom: number): false {
    let position = frame.position;
    for (let i = restFrom; i < batch.length; i++) position = Math.min(position, batch[i]!.position);
    const held = this.#interleaver?.oldestPosition();
    if (held !== undefined) position = Math.min(position, held);
    this.#interleaver?.clear();
    this.#store.unread(position);
    return false;
  }

  #abortRetiring(reason: string): void {
    for (const session of this.#retiring.keys()) session.abort(reason);
    this.#retiring.clear();
  }

  #abortSession(reason: string): void {
    const session = this.#session;
    this.#session = undefined;
    if (session && session.state !== 'closed') session.abort(reason);
  }

  #arrivalEpochNs(auxMonotonicNs: bigint): bigint {
    const now = process.hrtime.bigint();
    const age = auxMonotonicNs > 0n && auxMonotonicNs <= now ? now - auxMonotonicNs : 0n;
    return BigInt(Date.now()) * 1_000_000n - age;
  }

  #countDrop(reason: string, rec: RingRecord): void {
    // Frames re-read for a replay that precede its first key frame were sent before: not a drop.
    if (rec.position < this.#replayUntil) return;
    this.#summary.droppedFrames++;
    this.#log('debug', `frame dropped: ${reason}`);
  }

  #warn(problem: Problem): void {
    const now = Date.now();
    this.#log('warn', problem.message);
    if (now - (this.#lastWarningMs.get(problem.code) ?? -Infinity) < WARNING_INTERVAL_MS) return;
    this.#lastWarningMs.set(problem.code, now);
    this.#report.warning(problem);
  }

  #failFatal(problem: Problem): void {
    if (this.#fatal) return;
    this.#fatal = true;
    this.#log('error', problem.message);
    this.#report.error(problem, true);
    this.#abortSession(problem.code);
  }
}

function sameTrack(a: TrackInfo, b: TrackInfo): boolean {
  const pa = a.track.codecPrivate;
  const pb = b.track.codecPrivate;
  return a.track.codecId === b.track.codecId && (pa === pb || (pa !== undefined && pb !== undefined &&
    Buffer.compare(pa, pb) === 0));
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** stream-tags arrives as a GstStructure string: `tags, key=value, key2="value 2"`. */
export function parseStreamTags(text: string | undefined): Record<string, string> | undefined {
  if (!text) return undefined;
  const tags: Record<string, string> = {};
  const body = text.replace(/;\s*$/, '');
  const re = /,\s*([^=,\s]+)\s*=\s*(?:\([a-z0-9]+\))?\s*("(?:[^"\\]|\\.)*"|[^,]*)/gi;
  for (const m of body.matchAll(re)) {
    const raw = m[2]!.trim();
    tags[m[1]!] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
  }
  return Object.keys(tags).length > 0 ? tags : undefined;
}

export function toKvsError(err: unknown): KvsError {
  if (isKvsError(err)) return err;
  return new KvsError({ code: 'INTERNAL', retriable: false,
    message: `Internal error in the kvssink worker: ${err instanceof Error ? err.message : String(err)}` });
}

/** Maps a KvsError onto what the element posts (domain, code, fields). */
export function problemFromError(e: KvsError): Problem {
  let gstCode: Problem['gstCode'] = 'failed';
  if (e.httpStatus === 401 || e.httpStatus === 403 || /AUTH|SIGNATURE|CREDENTIAL|TOKEN|ACCESS_DENIED|IOT_(CERTIFICATE|FORBIDDEN|KEY_MISMATCH|ROLE_ALIAS|CREDENTIALS)|SERVER_CERTIFICATE/.test(e.code)) {
    gstCode = 'not-authorized';
  } else if (/NOT_FOUND/.test(e.code)) {
    gstCode = 'not-found';
  } else if (e.kvsStatus !== undefined) {
    gstCode = 'write';
  } else if (/INVALID|SETTINGS/.test(e.code)) {
    gstCode = 'settings';
  }
  return {
    code: e.code, message: e.message, debug: e.detail, domain: 'resource', gstCode,
    kvsStatus: e.kvsStatus, httpStatus: e.httpStatus, retriable: e.retriable,
  };
}
