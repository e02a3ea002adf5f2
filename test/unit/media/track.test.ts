import { describe, expect, it } from 'vitest';
import { MediaError } from '../../../src/media/errors.js';
import { adaptFrame, completeTrackFromFrame, streamContentType, trackChangedInBand, trackFromCaps } from '../../../src/media/track.js';
import { hex, toHex } from '../mkv/hex.js';
import { GST_CODEC_DATA, fixture } from './fixtures.js';

const OPTS = { trackNumber: 1, trackName: 'kinesis_video' };
const H264_HIGH = GST_CODEC_DATA['h264-high-330x250.h264'];
const H265_MAIN = GST_CODEC_DATA['h265-main-330x250.h265'];

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MediaError);
    return (e as MediaError).code;
  }
  return undefined;
}

describe('trackFromCaps: H.264', () => {
  it('takes CodecPrivate from avc codec_data and the size from the caps (h264parse output)', () => {
    const caps = `video/x-h264, pixel-aspect-ratio=(fraction)1/1, width=(int)330, height=(int)250, framerate=(fraction)30/1, stream-format=(string)avc, alignment=(string)au, profile=(string)high, level=(string)2, codec_data=(buffer)${H264_HIGH}`;
    const t = trackFromCaps(caps, OPTS);
    expect(t).toMatchObject({ contentType: 'video/h264', kind: 'video', codec: 'h264', needsAnnexBConversion: false, codecPrivatePending: false });
    expect(t.track).toMatchObject({ number: 1, uid: 1, type: 'video', name: 'kinesis_video', codecId: 'V_MPEG4/ISO/AVC', video: { pixelWidth: 330, pixelHeight: 250 } });
    expect(toHex(t.track.codecPrivate as Uint8Array)).toBe(H264_HIGH);
  });

  it('reads the size from the SPS in codec_data when the caps lack width/height', () => {
    const t = trackFromCaps(`video/x-h264, stream-format=avc, alignment=au, codec_data=(buffer)${H264_HIGH}`, OPTS);
    expect(t.track.video).toEqual({ pixelWidth: 330, pixelHeight: 250 });
  });

  it('for byte-stream, waits for the first key frame’s SPS/PPS and builds the avcC from them', () => {
    const t = trackFromCaps('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au', OPTS);
    expect(t).toMatchObject({ needsAnnexBConversion: true, codecPrivatePending: true });
    expect(t.track.codecPrivate).toBeUndefined();
    expect(completeTrackFromFrame(t, hex('00000001 0910 00000001 41e0'))).toBeNull(); // no parameter sets
    const done = completeTrackFromFrame(t, fixture('h264-high-330x250.h264'));
    expect(done).toMatchObject({ codecPrivatePending: false, track: { video: { pixelWidth: 330, pixelHeight: 250 } } });
    expect(toHex(done?.track.codecPrivate as Uint8Array)).toBe(H264_HIGH);
    expect(completeTrackFromFrame(done!, hex('00'))).toBe(done); // already complete
  });

  it('for byte-stream, notices new in-band parameter sets at a key frame (a new resolution)', () => {
    const t = trackFromCaps('video/x-h264, stream-format=(string)byte-stream, alignment=(string)au', OPTS);
    const small = completeTrackFromFrame(t, fixture('h264-baseline-160x120.h264'))!;
    expect(trackChangedInBand(small, fixture('h264-baseline-160x120.h264'))).toBeNull(); // the same sets again
    expect(trackChangedInBand(small, hex('00000001 41e0'))).toBeNull(); // none in this frame
    const big = trackChangedInBand(small, fixture('h264-high-330x250.h264'));
    expect(big?.track.video).toEqual({ pixelWidth: 330, pixelHeight: 250 });
    expect(toHex(big?.track.codecPrivate as Uint8Array)).toBe(H264_HIGH);
    // Packetized input carries its parameter sets in the caps, not in-band.
    expect(trackChangedInBand(trackFromCaps(`video/x-h264, stream-format=(string)avc, alignment=(string)au, codec_data=(buffer)${H264_HIGH}`, OPTS),
      fixture('h264-baseline-160x120.h264'))).toBeNull();
  });

  it('keeps the caps size for byte-stream and defaults to byte-stream without stream-format', () => {
    const t = trackFromCaps('video/x-h264, width=(int)1280, height=(int)720', OPTS);
    expect(t).toMatchObject({ needsAnnexBConversion: true, codecPrivatePending: true, track: { video: { pixelWidth: 1280, pixelHeight: 720 } } });
    const done = completeTrackFromFrame(t, fixture('h264-high-330x250.h264'));
    expect(done?.track.video).toEqual({ pixelWidth: 1280, pixelHeight: 720 });
  });

  it('accepts Annex-B codec_data in byte-stream caps', () => {
    const annexB = '00000001' + '6742c015d902847e5c05a830303528000003000800000301e478b17240' + '00000001' + '68cb8cb2';
    const t = trackFromCaps(`video/x-h264, stream-format=byte-stream, codec_data=(buffer)${annexB}`, OPTS);
    expect(t.codecPrivatePending).toBe(false);
    expect(toHex(t.track.codecPrivate as Uint8Array)).toBe(GST_CODEC_DATA['h264-baseline-160x120.h264']);
    expect(t.track.video).toEqual({ pixelWidth: 160, pixelHeight: 120 });
  });

  it('refuses what it cannot stream, saying what to change', () => {
    expect(code(() => trackFromCaps('video/x-h264, stream-format=avc, alignment=au, width=640, height=480', OPTS))).toBe('MISSING_CAPS_FIELD');
    expect(code(() => trackFromCaps('video/x-h264, stream-format=byte-stream, alignment=nal', OPTS))).toBe('UNSUPPORTED_CAPS');
    expect(() => trackFromCaps('video/x-h264, alignment=nal', OPTS)).toThrow(/h264parse/);
    expect(code(() => trackFromCaps('video/x-h264, stream-format=avc, codec_data=(buffer)0264', OPTS))).toBe('INVALID_CODEC_DATA');
    expect(code(() => trackFromCaps('video/x-h264, stream-format=foo', OPTS))).toBe('UNSUPPORTED_CAPS');
  });

  it('applies a codec-id override and a track UID', () => {
    const t = trackFromCaps(`video/x-h264, stream-format=avc, codec_data=(buffer)${H264_HIGH}`, { ...OPTS, codecIdOverride: 'V_MPEG/ISO/AVC', trackUid: 42n });
    expect(t.track.codecId).toBe('V_MPEG/ISO/AVC');
    expect(t.track.uid).toBe(42n);
  });
});

describe('trackFromCaps: H.265', () => {
  it('takes CodecPrivate from hvc1 codec_data (h265parse output)', () => {
    const caps = `video/x-h265, width=(int)330, height=(int)250, framerate=(fraction)30/1, chroma-format=(string)4:2:0, stream-format=(string)hvc1, alignment=(string)au, profile=(string)main, tier=(string)main, level=(string)2.1, codec_data=(buffer)${H265_MAIN}`;
    const t = trackFromCaps(caps, OPTS);
    expect(t).toMatchObject({ contentType: 'video/h265', codec: 'h265', needsAnnexBConversion: false, codecPrivatePending: false });
    expect(t.track.codecId).toBe('V_MPEGH/ISO/HEVC');
    expect(toHex(t.track.codecPrivate as Uint8Array)).toBe(H265_MAIN);
  });

  it('builds the hvcC from in-band VPS/SPS/PPS for byte-stream (which the official element cannot)', () => {
    const t = trackFromCaps('video/x-h265, stream-format=(string)byte-stream, alignment=(string)au', OPTS);
    expect(t).toMatchObject({ needsAnnexBConversion: true, codecPrivatePending: true });
    const done = completeTrackFromFrame(t, fixture('h265-main-330x250.h265'));
    expect(toHex(done?.track.codecPrivate as Uint8Array)).toBe(H265_MAIN);
    expect(done?.track.video).toEqual({ pixelWidth: 330, pixelHeight: 250 });
    expect(completeTrackFromFrame(t, fixture('h264-high-330x250.h264'))).toBeNull();
  });

  it('treats caps without stream-format but with hvcC codec_data as hvc1 (the official element does not restrict H.265 caps)', () => {
    const t = trackFromCaps(`video/x-h265, alignment=au, codec_data=(buffer)${H265_MAIN}`, OPTS);
    expect(t).toMatchObject({ needsAnnexBConversion: false, codecPrivatePending: false, track: { video: { pixelWidth: 330, pixelHeight: 250 } } });
    expect(trackFromCaps('video/x-h265, alignment=au', OPTS).needsAnnexBConversion).toBe(true);
  });

  it('reads the size from hev1 codec_data and refuses missing codec_data', () => {
    expect(trackFromCaps(`video/x-h265, stream-format=hev1, codec_data=(buffer)${H265_MAIN}`, OPTS).track.video).toEqual({ pixelWidth: 330, pixelHeight: 250 });
    expect(code(() => trackFromCaps('video/x-h265, stream-format=hvc1, width=1, height=1', OPTS))).toBe('MISSING_CAPS_FIELD');
  });
});

describe('trackFromCaps: audio', () => {
  const AOPTS = { trackNumber: 2, trackName: 'audio' };

  it('AAC: codec_data as CodecPrivate, rate and channels from the caps (aacparse output)', () => {
    const caps = 'audio/mpeg, channels=(int)2, rate=(int)48000, mpegversion=(int)4, base-profile=(string)lc, stream-format=(string)raw, channel-mask=(bitmask)0x0000000000000003, level=(string)2, profile=(string)lc, codec_data=(buffer)119056e500, framed=(boolean)true';
    const t = trackFromCaps(caps, AOPTS);
    expect(t).toMatchObject({ contentType: 'audio/aac', kind: 'audio', codec: 'aac', needsAnnexBConversion: false, codecPrivatePending: false });
    expect(t.track).toMatchObject({ number: 2, type: 'audio', codecId: 'A_AAC', name: 'audio', audio: { samplingFrequency: 48000, channels: 2 } });
    expect(toHex(t.track.codecPrivate as Uint8Array)).toBe('119056e500');
  });

  it('AAC: builds the AudioSpecificConfig when codec_data is missing, and reads rate/channels from it otherwise', () => {
    const built = trackFromCaps('audio/mpeg, mpegversion=(int)2, stream-format=(string)raw, rate=(int)44100, channels=(int)2, profile=(string)lc', AOPTS);
    expect(toHex(built.track.codecPrivate as Uint8Array)).toBe('1210');
    const fromAsc = trackFromCaps('audio/mpeg, mpegversion=4, stream-format=raw, codec_data=(buffer)1588', AOPTS);
    expect(fromAsc.track.audio).toEqual({ samplingFrequency: 8000, channels: 1 });
  });

  it('AAC: refuses ADTS, MP3 and missing rate/channels', () => {
    expect(() => trackFromCaps('audio/mpeg, mpegversion=4, stream-format=adts, rate=48000, channels=2', AOPTS)).toThrow(/aacparse/);
    expect(code(() => trackFromCaps('audio/mpeg, mpegversion=1, layer=3', AOPTS))).toBe('UNSUPPORTED_CAPS');
    expect(code(() => trackFromCaps('audio/mpeg, mpegversion=4, stream-format=raw, channels=2', AOPTS))).toBe('MISSING_CAPS_FIELD');
  });

  it('G.711: A_MS/ACM with a WAVEFORMATEX and 8-bit depth', () => {
    const alaw = trackFromCaps('audio/x-alaw, rate=(int)8000, channels=(int)1', AOPTS);
    expect(alaw).toMatchObject({ contentType: 'audio/alaw', codec: 'alaw', track: { codecId: 'A_MS/ACM', audio: { samplingFrequency: 8000, channels: 1, bitDepth: 8 } } });
    expect(toHex(alaw.track.codecPrivate as Uint8Array)).toBe('06000100401f0000401f0000010008000000');
    const mulaw = trackFromCaps('audio/x-mulaw, rate=(int)16000, channels=(int)2', AOPTS);
    expect(mulaw.contentType).toBe('audio/mulaw');
    expect(toHex(mulaw.track.codecPrivate as Uint8Array)).toBe('07000200803e0000007d0000020008000000');
    expect(code(() => trackFromCaps('audio/x-alaw, channels=(int)1', AOPTS))).toBe('MISSING_CAPS_FIELD');
  });

  it('refuses other media types', () => {
    expect(code(() => trackFromCaps('video/x-vp8, width=640, height=480', OPTS))).toBe('UNSUPPORTED_CAPS');
    expect(code(() => trackFromCaps('', OPTS))).toBe('INVALID_CAPS');
  });
});

describe('adaptFrame and streamContentType', () => {
  it('turns byte-stream frames into length-prefixed pieces and passes others through', () => {
    const bs = trackFromCaps('video/x-h264, stream-format=byte-stream, alignment=au', OPTS);
    const frame = hex('00000001 6588aa 000001 41bb');
    const pieces = adaptFrame(bs, frame) as Uint8Array[];
    expect(pieces.map(toHex)).toEqual(['00000003', '6588aa', '00000002', '41bb']);
    const avc = trackFromCaps(`video/x-h264, stream-format=avc, codec_data=(buffer)${H264_HIGH}`, OPTS);
    expect(adaptFrame(avc, frame)).toBe(frame);
  });

  it('lists video first, then audio', () => {
    const v = trackFromCaps(`video/x-h264, stream-format=avc, codec_data=(buffer)${H264_HIGH}`, OPTS);
    const a = trackFromCaps('audio/x-alaw, rate=8000, channels=1', { trackNumber: 2, trackName: 'audio' });
    expect(streamContentType([a, v])).toBe('video/h264,audio/alaw');
    expect(streamContentType([a])).toBe('audio/alaw');
  });
});
