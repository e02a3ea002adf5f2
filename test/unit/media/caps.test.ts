import { describe, expect, it } from 'vitest';
import { capsBoolean, capsBuffer, capsFraction, capsInt, capsString, parseCaps, parseCapsStructures } from '../../../src/media/caps.js';
import { MediaError } from '../../../src/media/errors.js';

describe('parseCaps', () => {
  it('parses the caps of an h264parse avc pad, codec_data included', () => {
    const s = parseCaps(
      'video/x-h264, stream-format=(string)avc, alignment=(string)au, width=(int)640, height=(int)480, framerate=(fraction)30/1, codec_data=(buffer)01640028ffe1001a67640028acd940a03db0110000030001000003003c8f1831960001000668ebe3cb22c0, profile=(string)baseline',
    );
    expect(s.mediaType).toBe('video/x-h264');
    expect(s.features).toEqual([]);
    expect(capsString(s, 'stream-format')).toBe('avc');
    expect(capsString(s, 'alignment')).toBe('au');
    expect(capsInt(s, 'width')).toBe(640);
    expect(capsInt(s, 'height')).toBe(480);
    expect(capsFraction(s, 'framerate')).toEqual({ num: 30, den: 1 });
    expect(capsString(s, 'profile')).toBe('baseline');
    const cd = capsBuffer(s, 'codec_data');
    expect(cd?.length).toBe(43);
    expect(cd?.[0]).toBe(0x01);
    expect(cd?.[42]).toBe(0xc0);
  });

  it('undoes gst_caps_to_string escapes (captured from GStreamer 1.22)', () => {
    // Produced by gst_caps_to_string for title = 'a b "c" é\d' + "\x01" and weird = 'x,y;z'.
    const s = parseCaps(
      'video/x-h264, title=(string)"a\\ b\\ \\"c\\"\\ \\303\\251\\\\d\\001", weird=(string)"x\\,y\\;z", simple=(string)abc, empty=(string)"", neg=(int)-5, big=(guint64)1099511627776, d=(double)1.5, b=(boolean)true',
    );
    expect(capsString(s, 'title')).toBe('a b "c" é\\d\x01');
    expect(capsString(s, 'weird')).toBe('x,y;z');
    expect(capsString(s, 'simple')).toBe('abc');
    expect(capsString(s, 'empty')).toBe('');
    expect(capsInt(s, 'neg')).toBe(-5);
    expect(capsInt(s, 'big')).toBe(2 ** 40);
    expect(s.fields['d']).toEqual({ type: 'double', value: 1.5 });
    expect(capsBoolean(s, 'b')).toBe(true);
  });

  it('guesses the type of untyped values like gst_value_deserialize', () => {
    const s = parseCaps('audio/mpeg, mpegversion=4, rate=48000, gain=-1.5e2, framerate=25/2, parsed=true, framed=false, format=S16LE, q="quoted 1"');
    expect(s.fields['mpegversion']).toEqual({ type: 'int', value: 4 });
    expect(s.fields['gain']).toEqual({ type: 'double', value: -150 });
    expect(s.fields['framerate']).toEqual({ type: 'fraction', num: 25, den: 2 });
    expect(capsBoolean(s, 'parsed')).toBe(true);
    expect(capsBoolean(s, 'framed')).toBe(false);
    expect(capsString(s, 'format')).toBe('S16LE');
    expect(capsString(s, 'q')).toBe('quoted 1');
  });

  it('keeps lists, arrays and ranges (typed and untyped) without tripping over them', () => {
    const s = parseCaps('video/x-raw, format=(string){ I420, NV12 }, width=(int)[ 16, 2147483647 ], views=(int)< 1, 2 >, mixed={ 1, (string)a }, empty={ }, height=(int)240');
    expect(s.fields['format']).toEqual({ type: 'list', values: [{ type: 'string', value: 'I420' }, { type: 'string', value: 'NV12' }] });
    expect(s.fields['width']).toEqual({ type: 'range', values: [{ type: 'int', value: 16 }, { type: 'int', value: 2147483647 }] });
    expect(s.fields['views']).toEqual({ type: 'array', values: [{ type: 'int', value: 1 }, { type: 'int', value: 2 }] });
    expect(s.fields['mixed']).toEqual({ type: 'list', values: [{ type: 'int', value: 1 }, { type: 'string', value: 'a' }] });
    expect(s.fields['empty']).toEqual({ type: 'list', values: [] });
    expect(capsInt(s, 'height')).toBe(240);
    expect(capsInt(s, 'width')).toBeUndefined(); // a range is not an int
  });

  it('reads caps features and keeps unknown types as text', () => {
    const s = parseCaps('video/x-raw(memory:NVMM, meta:GstVideoOverlayComposition), format=(string)NV12, channel-mask=(bitmask)0x0000000000000003, extra=(GstStructure)"foo\\,\\ bar\\;";');
    expect(s.mediaType).toBe('video/x-raw');
    expect(s.features).toEqual(['memory:NVMM', 'meta:GstVideoOverlayComposition']);
    expect(s.fields['channel-mask']).toEqual({ type: 'other', typeName: 'bitmask', raw: '0x0000000000000003' });
    expect(s.fields['extra']).toEqual({ type: 'other', typeName: 'GstStructure', raw: 'foo, bar;' });
  });

  it('reads hexadecimal integers and short type names', () => {
    const s = parseCaps('audio/x-raw, mask=(uint)0x10, rate=(i)44100, layout=(s)interleaved, f=(f)0.5, ok=(b)yes');
    expect(capsInt(s, 'mask')).toBe(16);
    expect(capsInt(s, 'rate')).toBe(44100);
    expect(capsString(s, 'layout')).toBe('interleaved');
    expect(s.fields['f']).toEqual({ type: 'double', value: 0.5 });
    expect(capsBoolean(s, 'ok')).toBe(true);
  });

  it('returns the first structure and parses the rest', () => {
    const all = parseCapsStructures('audio/x-alaw, rate=(int)8000, channels=(int)1; audio/x-mulaw, rate=(int)16000, channels=(int)2');
    expect(all.map((s) => s.mediaType)).toEqual(['audio/x-alaw', 'audio/x-mulaw']);
    expect(capsInt(parseCaps('audio/x-alaw, rate=(int)8000; audio/x-mulaw, rate=(int)16000'), 'rate')).toBe(8000);
  });

  it('accepts a bare media type and surrounding whitespace', () => {
    expect(parseCaps('  audio/x-alaw  ')).toEqual({ mediaType: 'audio/x-alaw', features: [], fields: {} });
  });

  it('has no structure for ANY/EMPTY, and parseCaps refuses them', () => {
    expect(parseCapsStructures('ANY')).toEqual([]);
    expect(parseCapsStructures('EMPTY')).toEqual([]);
    expect(() => parseCaps('EMPTY')).toThrow(MediaError);
  });

  it('reports malformed caps as INVALID_CAPS', () => {
    const bad = [
      'video/x-h264, width=(int)abc',
      'video/x-h264, title=(string)"unterminated',
      'video/x-h264, width',
      'video/x-h264 width=(int)1',
      'video/x-h264, codec_data=(buffer)0g',
      'video/x-h264, codec_data=(buffer)123',
      'video/x-h264, list={ 1, 2',
      ', width=(int)1',
      'video/x-h264, width=(int)',
      'video/x-h264, b=(boolean)maybe',
    ];
    for (const caps of bad) {
      try {
        parseCaps(caps);
        expect.unreachable(caps);
      } catch (e) {
        expect(e, caps).toBeInstanceOf(MediaError);
        expect((e as MediaError).code).toBe('INVALID_CAPS');
      }
    }
  });
});
