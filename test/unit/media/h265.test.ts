import { describe, expect, it } from 'vitest';
import { capsBuffer, capsInt, parseCaps } from '../../../src/media/caps.js';
import { MediaError } from '../../../src/media/errors.js';
import { buildHvcC, h265NalType, h265ParameterSetsFromAnnexB, parseH265Sps, parseHvcC } from '../../../src/media/h265.js';
import { splitAnnexB } from '../../../src/media/annexb.js';
import { hex, toHex } from '../mkv/hex.js';
import { GST_CODEC_DATA, fixture } from './fixtures.js';
import { gstSinkCaps, gstToBytes } from './gst.js';

const NAME = 'h265-main-330x250.h265';

describe('H.265', () => {
  it('finds VPS, SPS, PPS and an IDR in an x265 access unit', () => {
    const types = splitAnnexB(fixture(NAME)).map(h265NalType);
    expect(types.slice(0, 3)).toEqual([32, 33, 34]);
    expect(types.some((t) => t === 19 || t === 20)).toBe(true);
  });

  it('parses the SPS: Main profile, level 2.1, size after the conformance window', () => {
    const { sps } = h265ParameterSetsFromAnnexB(fixture(NAME));
    const p = parseH265Sps(sps[0] as Uint8Array);
    expect(p).toMatchObject({
      generalProfileSpace: 0,
      generalTierFlag: 0,
      generalProfileIdc: 1,
      generalProfileCompatibilityFlags: 0x60000000,
      generalLevelIdc: 63,
      maxSubLayers: 1,
      temporalIdNesting: true,
      chromaFormatIdc: 1,
      bitDepthLuma: 8,
      bitDepthChroma: 8,
      width: 330,
      height: 250,
    });
    expect(toHex(p.generalConstraintIndicatorFlags)).toBe('900000000000');
  });

  it("builds the same hvcC as GStreamer's h265parse", () => {
    expect(toHex(buildHvcC(h265ParameterSetsFromAnnexB(fixture(NAME))))).toBe(GST_CODEC_DATA[NAME]);
  });

  it('parseHvcC reads back the parameter sets', () => {
    const c = parseHvcC(hex(GST_CODEC_DATA[NAME]));
    expect([c.vps.length, c.sps.length, c.pps.length, c.nalLengthSize]).toEqual([1, 1, 1, 4]);
    expect(toHex(buildHvcC(c))).toBe(GST_CODEC_DATA[NAME]);
    expect(() => parseHvcC(hex('0101'))).toThrow(expect.objectContaining({ code: 'INVALID_CODEC_DATA' }));
  });

  it('needs VPS, SPS and PPS, and refuses a broken SPS', () => {
    const sets = h265ParameterSetsFromAnnexB(fixture(NAME));
    expect(() => buildHvcC({ ...sets, vps: [] })).toThrow(MediaError);
    expect(() => buildHvcC({ ...sets, pps: [] })).toThrow(MediaError);
    expect(() => parseH265Sps((sets.sps[0] as Uint8Array).subarray(0, 16))).toThrow(expect.objectContaining({ code: 'INVALID_CODEC_DATA' }));
    expect(() => parseH265Sps(sets.pps[0] as Uint8Array)).toThrow(MediaError);
  });

  it('matches h265parse live at other sizes (x265enc)', () => {
    for (const [w, h] of [
      [1920, 1080],
      [98, 46],
    ] as const) {
      const raw = ['videotestsrc', 'num-buffers=1', '!', `video/x-raw,format=I420,width=${w},height=${h}`, '!', 'x265enc'];
      const bytes = gstToBytes([...raw, '!', 'video/x-h265,stream-format=byte-stream', '!', 'filesink', 'location={out}']);
      const caps = parseCaps(gstSinkCaps([...raw, '!', 'h265parse', '!', 'video/x-h265,stream-format=hvc1,alignment=au']));
      const sets = h265ParameterSetsFromAnnexB(bytes);
      expect(toHex(buildHvcC(sets)), `${w}x${h}`).toBe(toHex(capsBuffer(caps, 'codec_data') as Uint8Array));
      const p = parseH265Sps(sets.sps[0] as Uint8Array);
      expect([p.width, p.height]).toEqual([capsInt(caps, 'width'), capsInt(caps, 'height')]);
    }
  });
});
