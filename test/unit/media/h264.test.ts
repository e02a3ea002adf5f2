import { describe, expect, it } from 'vitest';
import { BitReader, nalToRbsp } from '../../../src/media/bitstream.js';
import { capsBuffer, capsInt, parseCaps } from '../../../src/media/caps.js';
import { MediaError } from '../../../src/media/errors.js';
import { annexBToAvcC, buildAvcC, h264ParameterSetsFromAnnexB, parseAvcC, parseH264Sps } from '../../../src/media/h264.js';
import { hex, toHex } from '../mkv/hex.js';
import { GST_CODEC_DATA, fixture } from './fixtures.js';
import { gstSinkCaps, gstToBytes } from './gst.js';

describe('bitstream', () => {
  it('reads Exp-Golomb codes', () => {
    // 1 | 010 | 011 | 00100 | 00101 | 0001000 → ue 0,1,2,3,4,7
    const r = new BitReader(hex('a6 42 88 00'));
    expect([r.ue(), r.ue(), r.ue(), r.ue(), r.ue(), r.ue()]).toEqual([0, 1, 2, 3, 4, 7]);
    const s = new BitReader(hex('a6 42 80'));
    expect([s.se(), s.se(), s.se(), s.se(), s.se()]).toEqual([0, 1, -1, 2, -2]);
  });

  it('removes emulation-prevention bytes', () => {
    expect(toHex(nalToRbsp(hex('6742 000003 01 000003 00 000003')))).toBe('6742' + '000001' + '000000' + '0000');
    const plain = hex('674200');
    expect(nalToRbsp(plain)).toBe(plain);
  });

  it('throws when reading past the end', () => {
    const r = new BitReader(hex('00'));
    expect(() => r.ue()).toThrow(/ends early/);
  });
});

describe('parseH264Sps', () => {
  it('reads profile, level and the cropped size of a High-profile SPS (330x250)', () => {
    const { sps } = h264ParameterSetsFromAnnexB(fixture('h264-high-330x250.h264'));
    const p = parseH264Sps(sps[0] as Uint8Array);
    expect(p).toMatchObject({ profileIdc: 100, levelIdc: 20, chromaFormatIdc: 1, bitDepthLuma: 8, width: 330, height: 250 });
  });

  it('reads a Constrained Baseline SPS (160x120)', () => {
    const { sps } = h264ParameterSetsFromAnnexB(fixture('h264-baseline-160x120.h264'));
    expect(parseH264Sps(sps[0] as Uint8Array)).toMatchObject({ profileIdc: 66, constraintFlags: 0xc0, width: 160, height: 120 });
  });

  it('reads the SPS of a 640x480 High 4.0 avcC', () => {
    const avcC = parseAvcC(hex('01640028ffe1001a67640028acd940a03db0110000030001000003003c8f1831960001000668ebe3cb22c0'));
    expect(parseH264Sps(avcC.sps[0] as Uint8Array)).toMatchObject({ profileIdc: 100, levelIdc: 40, width: 640, height: 480 });
  });

  it('refuses non-SPS and truncated input with INVALID_CODEC_DATA', () => {
    expect(() => parseH264Sps(hex('68ce3c80'))).toThrow(MediaError);
    expect(() => parseH264Sps(hex('67640014'))).toThrow(expect.objectContaining({ code: 'INVALID_CODEC_DATA', kvsStatus: 0x32000015 }));
  });
});

describe('buildAvcC', () => {
  for (const name of ['h264-high-330x250.h264', 'h264-baseline-160x120.h264'] as const) {
    it(`builds the same avcC as GStreamer's h264parse from in-band SPS/PPS (${name})`, () => {
      const { sps, pps } = h264ParameterSetsFromAnnexB(fixture(name));
      expect(toHex(buildAvcC(sps, pps))).toBe(GST_CODEC_DATA[name]);
    });
  }

  it('converts Annex-B codec_data to avcC', () => {
    const { sps, pps } = h264ParameterSetsFromAnnexB(fixture('h264-baseline-160x120.h264'));
    const annexB = hex('00000001' + toHex(sps[0] as Uint8Array) + '00000001' + toHex(pps[0] as Uint8Array));
    expect(toHex(annexBToAvcC(annexB))).toBe(GST_CODEC_DATA['h264-baseline-160x120.h264']);
  });

  it('needs an SPS and a PPS', () => {
    expect(() => buildAvcC([], [hex('68ce')])).toThrow(expect.objectContaining({ code: 'INVALID_CODEC_DATA' }));
    expect(() => buildAvcC([hex('6742c015d902847e')], [])).toThrow(MediaError);
  });

  it('parseAvcC reads back what buildAvcC writes', () => {
    const a = parseAvcC(hex(GST_CODEC_DATA['h264-high-330x250.h264']));
    expect(a).toMatchObject({ profileIdc: 100, levelIdc: 20, nalLengthSize: 4 });
    expect(a.sps).toHaveLength(1);
    expect(a.pps).toHaveLength(1);
    expect(toHex(buildAvcC(a.sps, a.pps))).toBe(GST_CODEC_DATA['h264-high-330x250.h264']);
    expect(() => parseAvcC(hex('01640014ffe1001f67'))).toThrow(expect.objectContaining({ code: 'INVALID_CODEC_DATA' }));
    expect(() => parseAvcC(hex('0264001400'))).toThrow(MediaError);
  });

  it('matches h264parse live for other profiles and frame-cropped sizes', () => {
    for (const [w, h, profile] of [
      [1920, 1080, 'high'],
      [720, 576, 'main'],
      [98, 46, 'baseline'],
    ] as const) {
      const raw = ['videotestsrc', 'num-buffers=1', '!', `video/x-raw,format=I420,width=${w},height=${h}`, '!', 'x264enc', 'bframes=0', '!'];
      const bytes = gstToBytes([...raw, `video/x-h264,profile=${profile},stream-format=byte-stream`, '!', 'filesink', 'location={out}']);
      const caps = parseCaps(gstSinkCaps([...raw, `video/x-h264,profile=${profile}`, '!', 'h264parse', '!', 'video/x-h264,stream-format=avc,alignment=au']));
      const { sps, pps } = h264ParameterSetsFromAnnexB(bytes);
      expect(toHex(buildAvcC(sps, pps)), `${w}x${h}`).toBe(toHex(capsBuffer(caps, 'codec_data') as Uint8Array));
      const parsed = parseH264Sps(sps[0] as Uint8Array);
      expect([parsed.width, parsed.height]).toEqual([capsInt(caps, 'width'), capsInt(caps, 'height')]);
    }
  });
});
