/**
 * Round trips through independent readers: real encoder output → src/media → src/mkv → a file
 * that mkvinfo and ffprobe must read, and ffprobe must decode frame for frame.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Fragmenter, type FragmenterFrame } from '../../../src/mkv/fragmenter.js';
import { encodeStreamHeader, type MkvTrack } from '../../../src/mkv/mkv-writer.js';
import { adaptFrame, completeTrackFromFrame, trackFromCaps, type TrackInfo } from '../../../src/media/track.js';
import { annexBToLengthPrefixedBytes } from '../../../src/media/annexb.js';
import { buildAvcC, h264ParameterSetsFromAnnexB } from '../../../src/media/h264.js';
import { gstToBytes } from '../media/gst.js';
import { toHex } from './hex.js';
import { splitAccessUnits, splitAdts, type VideoCodec } from './media-samples.js';

const dir = mkdtempSync(join(tmpdir(), 'kvssink-roundtrip-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 2023-11-14T22:13:20Z in ms: absolute producer timestamps, as kvssink sends by default. */
const BASE_MS = 1_700_000_000_000;

function writeStream(name: string, tracks: MkvTrack[], frames: FragmenterFrame[], fragmenter: Fragmenter): { file: string; fragments: number[] } {
  const parts: Uint8Array[] = [
    encodeStreamHeader({ timecodeScaleNs: 1_000_000, segmentUuid: new Uint8Array(16), title: 'kvssink test', muxingApp: 'kvssink', writingApp: 'kvssink', tracks }),
  ];
  const fragments: number[] = [];
  for (const f of frames) {
    const out = fragmenter.push(f);
    for (const e of out.events) {
      if (e.kind === 'fragment-start') fragments.push(e.timecode);
      else throw new Error(`unexpected drop: ${JSON.stringify(e)}`);
    }
    let n = 0;
    for (const p of out.pieces) n += p.length;
    expect(n).toBe(out.byteLength);
    parts.push(...out.pieces);
  }
  parts.push(fragmenter.end());
  const file = join(dir, name);
  writeFileSync(file, Buffer.concat(parts));
  return { file, fragments };
}

interface ProbeStream {
  codec_name: string;
  codec_type: string;
  width?: number;
  height?: number;
  sample_rate?: string;
  channels?: number;
  nb_read_frames?: string;
  nb_read_packets?: string;
}

/** ffprobe with frame counting; any complaint on stderr (ffprobe exits 0 on decode errors) is returned. */
function ffprobe(file: string): { streams: ProbeStream[]; stderr: string } {
  const r = spawnSync(
    'ffprobe',
    ['-v', 'error', '-count_frames', '-count_packets', '-show_entries', 'stream=codec_name,codec_type,width,height,sample_rate,channels,nb_read_frames,nb_read_packets', '-of', 'json', file],
    { encoding: 'utf8' },
  );
  expect(r.status).toBe(0);
  return { streams: (JSON.parse(r.stdout) as { streams: ProbeStream[] }).streams, stderr: r.stderr };
}

/** Decodes every stream with ffmpeg and returns what it complained about ('' when nothing); ffmpeg exits 0 on decode errors. */
function decodeErrors(file: string): string {
  const r = spawnSync('ffmpeg', ['-v', 'error', '-i', file, '-f', 'null', '-'], { encoding: 'utf8' });
  return `${r.status === 0 ? '' : `exit ${r.status}\n`}${r.stderr}`;
}

function packetTimes(file: string, stream: string): { pts: number; key: boolean }[] {
  const out = execFileSync('ffprobe', ['-v', 'error', '-select_streams', stream, '-show_entries', 'packet=pts_time,flags', '-of', 'csv=p=0', file], { encoding: 'utf8' });
  return out
    .trim()
    .split('\n')
    .map((l) => {
      const [pts, flags] = l.split(',');
      return { pts: Number(pts), key: (flags ?? '').startsWith('K') };
    });
}

function mkvinfo(file: string): string {
  return execFileSync('mkvinfo', ['--all', file], { encoding: 'utf8' });
}

function encodeVideo(codec: VideoCodec, frames: number): Uint8Array {
  const enc =
    codec === 'h264'
      ? ['x264enc', 'bframes=0', 'key-int-max=30']
      : ['x265enc', 'key-int-max=30', 'option-string=bframes=0:open-gop=0:repeat-headers=1'];
  return gstToBytes([
    'videotestsrc', `num-buffers=${frames}`, '!', 'video/x-raw,format=I420,width=320,height=240,framerate=30/1', '!', ...enc, '!',
    `video/x-${codec},stream-format=byte-stream,alignment=au`, '!', 'filesink', 'location={out}',
  ]);
}

function videoFrames(info: TrackInfo, aus: { bytes: Uint8Array; keyframe: boolean }[], asAvcc = false): FragmenterFrame[] {
  return aus.map((au, i) => {
    const pts = BASE_MS + Math.round((i * 1000) / 30);
    return {
      track: info.track.number,
      ptsTc: pts,
      dtsTc: pts,
      durationTc: 33,
      keyframe: au.keyframe,
      payload: asAvcc ? annexBToLengthPrefixedBytes(au.bytes) : adaptFrame(info, au.bytes),
    };
  });
}

describe('MKV round trip with real encoder output', () => {
  for (const codec of ['h264', 'h265'] as const) {
    it(`byte-stream ${codec}: CodecPrivate from in-band parameter sets, zero-copy AVCC frames; ffprobe decodes all 60 frames`, () => {
      const aus = splitAccessUnits(encodeVideo(codec, 60), codec);
      expect(aus).toHaveLength(60);
      expect(aus.filter((a) => a.keyframe)).toHaveLength(2);
      const pending = trackFromCaps(`video/x-${codec}, stream-format=(string)byte-stream, alignment=(string)au, framerate=(fraction)30/1`, { trackNumber: 1, trackName: 'kinesis_video' });
      const info = completeTrackFromFrame(pending, (aus[0] as { bytes: Uint8Array }).bytes);
      expect(info).not.toBeNull();
      const fragmenter = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
      const { file, fragments } = writeStream(`${codec}.mkv`, [info!.track], videoFrames(info!, aus), fragmenter);
      expect(fragments).toEqual([BASE_MS, BASE_MS + 1000]);

      const { streams, stderr } = ffprobe(file);
      expect(stderr).toBe('');
      expect(streams).toHaveLength(1);
      expect(streams[0]).toMatchObject({ codec_name: codec === 'h264' ? 'h264' : 'hevc', width: 320, height: 240, nb_read_frames: '60', nb_read_packets: '60' });
      expect(decodeErrors(file)).toBe('');
      const packets = packetTimes(file, 'v:0');
      expect(packets[0]).toEqual({ pts: BASE_MS / 1000, key: true });
      expect(packets.filter((p) => p.key).map((p) => p.pts)).toEqual([BASE_MS / 1000, BASE_MS / 1000 + 1]);
      expect(packets[59]?.pts).toBeCloseTo(BASE_MS / 1000 + 1.967, 3);

      const info2 = mkvinfo(file);
      expect(info2).toContain(`Codec ID: ${codec === 'h264' ? 'V_MPEG4/ISO/AVC' : 'V_MPEGH/ISO/HEVC'}`);
      expect(info2.match(/^\|\+ Cluster$/gm)).toHaveLength(2);
      expect(info2.match(/Simple block:/g)).toHaveLength(60);
      expect(info2).toContain('Name: AWS_KINESISVIDEO_END_OF_FRAGMENT');
    });
  }

  it('avc H.264 + AAC interleaved, fragment-duration 1 s without key-frame fragmentation; both tracks decode completely', () => {
    const aus = splitAccessUnits(encodeVideo('h264', 90), 'h264');
    const { sps, pps } = h264ParameterSetsFromAnnexB((aus[0] as { bytes: Uint8Array }).bytes);
    const video = trackFromCaps(`video/x-h264, stream-format=(string)avc, alignment=(string)au, width=(int)320, height=(int)240, codec_data=(buffer)${toHex(buildAvcC(sps, pps))}`, {
      trackNumber: 1,
      trackName: 'kinesis_video',
    });
    const adts = gstToBytes([
      'audiotestsrc', 'num-buffers=70', 'samplesperbuffer=1024', '!', 'audio/x-raw,rate=48000,channels=2', '!', 'avenc_aac', '!', 'aacparse', '!',
      'audio/mpeg,stream-format=adts', '!', 'filesink', 'location={out}',
    ]);
    const aac = splitAdts(adts);
    expect(aac.length).toBeGreaterThan(60);
    const audio = trackFromCaps('audio/mpeg, mpegversion=(int)4, stream-format=(string)raw, rate=(int)48000, channels=(int)2, profile=(string)lc', { trackNumber: 2, trackName: 'audio' });

    const vFrames = videoFrames(video, aus, true);
    const aFrames: FragmenterFrame[] = aac.map((payload, i) => {
      const pts = BASE_MS + Math.round((i * 1024 * 1000) / 48000);
      return { track: 2, ptsTc: pts, dtsTc: pts, durationTc: 21, keyframe: true, payload };
    });
    // Interleave by PTS, video first on ties (the element's ring carries both tracks in arrival order).
    const all = [...vFrames, ...aFrames].sort((a, b) => a.ptsTc - b.ptsTc || a.track - b.track);
    const fragmenter = new Fragmenter({ keyFrameFragmentation: false, fragmentDurationTc: 1000, videoTrack: 1 });
    const { file, fragments } = writeStream('av.mkv', [video.track, audio.track], all, fragmenter);
    expect(fragments).toEqual([BASE_MS, BASE_MS + 1000, BASE_MS + 2000]);

    const { streams, stderr } = ffprobe(file);
    expect(stderr).toBe('');
    expect(streams.map((s) => s.codec_name)).toEqual(['h264', 'aac']);
    expect(streams[0]).toMatchObject({ nb_read_frames: '90', width: 320, height: 240 });
    expect(streams[1]).toMatchObject({ sample_rate: '48000', channels: 2, nb_read_packets: String(aac.length), nb_read_frames: String(aac.length) });
    expect(decodeErrors(file)).toBe('');
  });

  it('G.711 A-law audio-only: A_MS/ACM with WAVEFORMATEX, clusters by fragment-duration', () => {
    const alaw = gstToBytes([
      'audiotestsrc', 'num-buffers=50', 'samplesperbuffer=160', '!', 'audio/x-raw,rate=8000,channels=1', '!', 'alawenc', '!', 'filesink', 'location={out}',
    ]);
    expect(alaw.length).toBe(50 * 160);
    const info = trackFromCaps('audio/x-alaw, rate=(int)8000, channels=(int)1', { trackNumber: 1, trackName: 'audio' });
    const frames: FragmenterFrame[] = [];
    for (let i = 0; i < 50; i++) {
      const pts = BASE_MS + i * 20;
      frames.push({ track: 1, ptsTc: pts, dtsTc: pts, durationTc: 20, keyframe: true, payload: alaw.subarray(i * 160, (i + 1) * 160) });
    }
    const { file, fragments } = writeStream('alaw.mkv', [info.track], frames, new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 400 }));
    expect(fragments).toEqual([0, 400, 800].map((t) => BASE_MS + t));
    const { streams, stderr } = ffprobe(file);
    expect(stderr).toBe('');
    expect(streams[0]).toMatchObject({ codec_name: 'pcm_alaw', sample_rate: '8000', channels: 1, nb_read_packets: '50' });
    expect(decodeErrors(file)).toBe('');
  });
});
