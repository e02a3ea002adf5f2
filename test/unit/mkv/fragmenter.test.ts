import { describe, expect, it } from 'vitest';
import { MkvError } from '../../../src/mkv/errors.js';
import { Fragmenter, type FragmenterEvent, type FragmenterFrame, type FragmenterOutput } from '../../../src/mkv/fragmenter.js';
import { encodeClusterStart, encodeEndOfFragmentTags, encodeSimpleBlockHeader, encodeTags } from '../../../src/mkv/mkv-writer.js';
import { concatBytes, toHex } from './hex.js';

const payload = new Uint8Array([1, 2, 3, 4]);

function video(ptsTc: number, keyframe: boolean, p: FragmenterFrame['payload'] = payload): FragmenterFrame {
  return { track: 1, ptsTc, dtsTc: ptsTc, durationTc: 33, keyframe, payload: p };
}

function audio(ptsTc: number, track = 2): FragmenterFrame {
  return { track, ptsTc, dtsTc: ptsTc, durationTc: 20, keyframe: true, payload };
}

function starts(outs: FragmenterOutput[]): number[] {
  return outs.flatMap((o) => o.events).flatMap((e) => (e.kind === 'fragment-start' ? [e.timecode] : []));
}

function drops(outs: FragmenterOutput[]): FragmenterEvent[] {
  return outs.flatMap((o) => o.events).filter((e) => e.kind === 'frame-dropped');
}

/** The SimpleBlock timecode written for an output (the 2 bytes after ID, size and track). */
function blockTimecode(out: FragmenterOutput): number {
  const header = out.pieces[out.pieces.length - 2] as Uint8Array;
  return new DataView(header.buffer, header.byteOffset).getInt16(header.length - 3);
}

describe('Fragmenter: cluster placement', () => {
  it('startsFragment tells, without pushing, whether a frame would open the next fragment', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, minFragmentDurationTc: 1000, videoTrack: 1 });
    expect(f.startsFragment(video(0, false))).toBe(false);
    expect(f.startsFragment(video(0, true))).toBe(true);
    f.push(video(0, true));
    expect(f.startsFragment(video(500, true))).toBe(false); // shorter than the minimum
    expect(f.startsFragment(audio(1500))).toBe(false); // only video key frames start fragments
    expect(f.startsFragment(video(1500, true))).toBe(true);
    expect(starts([f.push(video(1500, true))])).toEqual([1500]);
    const byDuration = new Fragmenter({ keyFrameFragmentation: false, fragmentDurationTc: 2000, videoTrack: 1 });
    byDuration.push(video(0, true));
    expect(byDuration.startsFragment(video(1500, true))).toBe(false);
    expect(byDuration.startsFragment(video(2000, true))).toBe(true);
  });

  it('drops frames until the first video key frame, then opens a cluster at its PTS', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
    const a = f.push(video(1000, false));
    expect(a.pieces).toEqual([]);
    expect(a.events).toEqual([{ kind: 'frame-dropped', reason: 'awaiting-key-frame', track: 1, ptsTc: 1000 }]);
    const b = f.push(video(1033, true));
    expect(b.events).toEqual([{ kind: 'fragment-start', timecode: 1033, keyframe: true, forced: false, tags: null }]);
    expect(b.pieces.map(toHex)).toEqual([toHex(encodeClusterStart(1033)), toHex(encodeSimpleBlockHeader(1, 0, true, 4)), toHex(payload)]);
    expect(b.byteLength).toBe(b.pieces.reduce((n, p) => n + p.length, 0));
    expect(f.clusterTimecode).toBe(1033);
  });

  it('passes the payload by reference, never copied', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
    const frame = new Uint8Array(1000);
    const out = f.push(video(0, true, frame));
    expect(out.pieces[out.pieces.length - 1]).toBe(frame);
  });

  it('writes payload pieces in order and sizes the block by their sum', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
    const parts = [new Uint8Array([0, 0, 0, 2]), new Uint8Array([0x65, 0x88]), new Uint8Array([0, 0, 0, 1]), new Uint8Array([0x41])];
    const out = f.push(video(0, true, parts));
    expect(out.pieces.slice(-4)).toEqual(parts);
    for (let i = 0; i < 4; i++) expect(out.pieces[out.pieces.length - 4 + i]).toBe(parts[i]);
    expect(toHex(out.pieces[1] as Uint8Array)).toBe(toHex(encodeSimpleBlockHeader(1, 0, true, 11)));
  });

  it('with key-frame fragmentation, opens a cluster at every video key frame and only there', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
    const outs = [0, 33, 66, 100, 133, 166].map((t, i) => f.push(video(t, i % 3 === 0)));
    expect(starts(outs)).toEqual([0, 100]);
    expect(outs.map(blockTimecode)).toEqual([0, 33, 66, 0, 33, 66]);
  });

  it('without key-frame fragmentation, opens a cluster at the first key frame once fragment-duration has elapsed', () => {
    const f = new Fragmenter({ keyFrameFragmentation: false, fragmentDurationTc: 2000, videoTrack: 1 });
    const keys = [0, 1000, 1999, 2000, 3000, 3999, 4100, 5000, 6099, 6100];
    const outs = keys.map((t) => f.push(video(t, true)));
    expect(starts(outs)).toEqual([0, 2000, 4100, 6100]);
    // Delta frames never open a cluster, however late.
    const g = new Fragmenter({ keyFrameFragmentation: false, fragmentDurationTc: 2000, videoTrack: 1 });
    expect(starts([g.push(video(0, true)), g.push(video(2500, false)), g.push(video(2600, true))])).toEqual([0, 2600]);
  });

  it('forces a new cluster before the int16 block timecode overflows, and reports it', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
    const outs: FragmenterOutput[] = [f.push(video(10_000, true))];
    outs.push(f.push(video(10_000 + 32_767, false))); // still representable
    expect(blockTimecode(outs[1] as FragmenterOutput)).toBe(32_767);
    const over = f.push(video(10_000 + 32_768, false));
    expect(over.events).toEqual([{ kind: 'fragment-start', timecode: 42_768, keyframe: false, forced: true, tags: null }]);
    expect(blockTimecode(over)).toBe(0);
    expect(toHex(over.pieces[0] as Uint8Array)).toBe(toHex(encodeClusterStart(42_768)));
  });

  it('allows frames before the cluster start down to −32768 and drops the rest', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
    f.push(video(40_000, true));
    expect(blockTimecode(f.push(video(39_990, false)))).toBe(-10);
    expect(blockTimecode(f.push(video(40_000 - 32_768, false)))).toBe(-32_768);
    const out = f.push(video(40_000 - 32_769, false));
    expect(out.pieces).toEqual([]);
    expect(drops([out])).toEqual([{ kind: 'frame-dropped', reason: 'timecode-underflow', track: 1, ptsTc: 7231 }]);
  });

  it('drops a would-be cluster opener with a negative timecode', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
    expect(drops([f.push(video(-5, true))])).toEqual([{ kind: 'frame-dropped', reason: 'negative-timecode', track: 1, ptsTc: -5 }]);
    expect(f.clusterTimecode).toBeUndefined();
  });

  it('interleaves audio into the video fragments; only video key frames open clusters', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
    const outs = [
      f.push(audio(980)), // before any video key frame: dropped
      f.push(video(1000, true)),
      f.push(audio(1001)),
      f.push(audio(1021)),
      f.push(video(1033, false)),
      f.push(audio(1041)),
      f.push(video(2000, true)),
      f.push(audio(1995)), // audio a little behind the video key frame: negative relative timecode
      f.push(audio(2015)),
    ];
    expect(drops(outs).map((e) => e.kind === 'frame-dropped' && e.track)).toEqual([2]);
    expect(starts(outs)).toEqual([1000, 2000]);
    expect(outs.slice(1).map(blockTimecode)).toEqual([0, 1, 21, 33, 41, 0, -5, 15]);
    // Audio blocks carry their own track number.
    expect((outs[2]?.pieces[0] as Uint8Array)[2]).toBe(0x82);
  });

  it('for audio-only streams, opens clusters on any frame by fragment-duration, even with key-frame fragmentation set', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000 });
    const outs: FragmenterOutput[] = [];
    for (let t = 500; t <= 6500; t += 20) outs.push(f.push(audio(t, 1)));
    expect(starts(outs)).toEqual([500, 2500, 4500, 6500]);
    expect(drops(outs)).toEqual([]);
  });

  it('end() emits the end-of-fragment tags and makes the next fragment wait for a key frame', () => {
    const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
    f.push(video(0, true));
    expect(toHex(f.end())).toBe(toHex(encodeEndOfFragmentTags()));
    expect(f.clusterTimecode).toBeUndefined();
    expect(drops([f.push(video(33, false))])).toHaveLength(1);
    expect(starts([f.push(video(66, true))])).toEqual([66]);
  });

  it('reset() forgets the open cluster without writing anything', () => {
    const f = new Fragmenter({ keyFrameFragmentation: false, fragmentDurationTc: 2000, videoTrack: 1 });
    f.push(video(0, true));
    f.reset();
    expect(drops([f.push(video(33, false))])).toHaveLength(1);
    expect(starts([f.push(video(66, true))])).toEqual([66]); // no fragment-duration wait after a reset
  });

  it('rejects a bad fragment duration', () => {
    expect(() => new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: -1 })).toThrow(RangeError);
  });
});

describe('Fragmenter: metadata', () => {
  function fragmenter(): Fragmenter {
    return new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1 });
  }

  it('writes non-persistent metadata once, as Tags just before the next fragment’s cluster', () => {
    const f = fragmenter();
    f.push(video(0, true));
    f.addMetadata('Motion', 'true', false);
    const mid = f.push(video(33, false));
    expect(mid.pieces).toHaveLength(2); // no tags in the middle of a cluster
    const next = f.push(video(66, true));
    const tags = encodeTags([{ name: 'Motion', value: 'true' }]);
    expect(next.pieces.map(toHex).slice(0, 2)).toEqual([toHex(tags), toHex(encodeClusterStart(66))]);
    expect(next.events[0]).toMatchObject({ kind: 'fragment-start', timecode: 66, tags });
    expect(f.push(video(100, true)).pieces).toHaveLength(3); // cluster + header + payload, no tags
  });

  it('writes persistent metadata before every fragment until cancelled with an empty value', () => {
    const f = fragmenter();
    f.addMetadata('Lat', '47.6', true);
    f.addMetadata('Event', 'door', false);
    const one = f.push(video(0, true));
    expect(toHex(one.pieces[0] as Uint8Array)).toBe(
      toHex(concatBytes([encodeTags([{ name: 'Lat', value: '47.6' }]), encodeTags([{ name: 'Event', value: 'door' }])])),
    );
    const two = f.push(video(33, true));
    expect(toHex(two.pieces[0] as Uint8Array)).toBe(toHex(encodeTags([{ name: 'Lat', value: '47.6' }])));
    f.addMetadata('Lat', '47.7', true); // same name: replaces
    expect(f.metadataCount).toBe(1);
    expect(toHex(f.push(video(66, true)).pieces[0] as Uint8Array)).toBe(toHex(encodeTags([{ name: 'Lat', value: '47.7' }])));
    f.addMetadata('Lat', '', true); // empty: cancels
    expect(f.metadataCount).toBe(0);
    expect(f.push(video(100, true)).events[0]).toMatchObject({ tags: null });
  });

  it('allows several non-persistent items with the same name', () => {
    const f = fragmenter();
    f.addMetadata('Event', 'a', false);
    f.addMetadata('Event', 'b', false);
    expect(f.metadataCount).toBe(2);
  });

  it('end() writes pending non-persistent metadata before the end-of-fragment tags; persistent stays queued', () => {
    const f = fragmenter();
    f.push(video(0, true));
    f.addMetadata('Lat', '1', true);
    f.addMetadata('Last', 'x', false);
    expect(toHex(f.end())).toBe(toHex(concatBytes([encodeTags([{ name: 'Last', value: 'x' }]), encodeEndOfFragmentTags()])));
    expect(f.metadataCount).toBe(1);
  });

  it('refuses names starting with "AWS" (0x52000077) and does not queue them', () => {
    const f = fragmenter();
    for (const name of ['AWS', 'AWS_KINESISVIDEO_NOTIFICATION', 'AWSfoo']) {
      try {
        f.addMetadata(name, 'v', false);
        expect.unreachable();
      } catch (e) {
        expect(e).toBeInstanceOf(MkvError);
        expect((e as MkvError).code).toBe('INVALID_METADATA_NAME');
        expect((e as MkvError).kvsStatus).toBe(0x52000077);
      }
    }
    f.addMetadata('aws-lowercase-is-fine', 'v', false);
    expect(f.metadataCount).toBe(1);
  });

  it('allows at most 10 queued items (0x52000074)', () => {
    const f = fragmenter();
    for (let i = 0; i < 5; i++) f.addMetadata(`p${i}`, 'v', true);
    for (let i = 0; i < 5; i++) f.addMetadata(`n${i}`, 'v', false);
    try {
      f.addMetadata('eleventh', 'v', false);
      expect.unreachable();
    } catch (e) {
      expect((e as MkvError).code).toBe('MAX_FRAGMENT_METADATA_COUNT');
      expect((e as MkvError).kvsStatus).toBe(0x52000074);
    }
    f.addMetadata('p0', 'replaced', true); // replacing does not grow the queue
    f.push(video(0, true)); // sends all ten; the five non-persistent leave the queue
    expect(f.metadataCount).toBe(5);
    f.addMetadata('n-again', 'v', false);
  });

  it('checks name and value lengths (128 / 256 bytes)', () => {
    const f = fragmenter();
    f.addMetadata('n'.repeat(128), 'v'.repeat(256), false);
    expect(() => f.addMetadata('', 'v', false)).toThrow(expect.objectContaining({ code: 'INVALID_TAG_NAME_LENGTH' }));
    expect(() => f.addMetadata('n'.repeat(129), 'v', false)).toThrow(expect.objectContaining({ code: 'INVALID_TAG_NAME_LENGTH' }));
    expect(() => f.addMetadata('n', 'é'.repeat(129), false)).toThrow(expect.objectContaining({ code: 'INVALID_TAG_VALUE_LENGTH', kvsStatus: 0x32000021 }));
  });

  describe('minimum fragment duration', () => {
    it('keeps key frames closer than the minimum inside the current fragment', () => {
      const f = new Fragmenter({ keyFrameFragmentation: true, fragmentDurationTc: 2000, videoTrack: 1,
        minFragmentDurationTc: 1000 });
      const starts: number[] = [];
      for (const pts of [0, 266, 500, 1000, 1266, 1999, 2100]) {
        const out = f.push({ track: 1, ptsTc: pts, dtsTc: pts, durationTc: 33, keyframe: true, payload: new Uint8Array(4) });
        for (const ev of out.events) if (ev.kind === 'fragment-start') starts.push(ev.timecode);
      }
      expect(starts).toEqual([0, 1000, 2100]);
    });

    it('applies to the fragment-duration rule too', () => {
      const f = new Fragmenter({ keyFrameFragmentation: false, fragmentDurationTc: 200, videoTrack: 1,
        minFragmentDurationTc: 1000 });
      const starts: number[] = [];
      for (const pts of [0, 300, 900, 1000, 1500, 2000]) {
        const out = f.push({ track: 1, ptsTc: pts, dtsTc: pts, durationTc: 33, keyframe: true, payload: new Uint8Array(4) });
        for (const ev of out.events) if (ev.kind === 'fragment-start') starts.push(ev.timecode);
      }
      expect(starts).toEqual([0, 1000, 2000]);
    });
  });
});
