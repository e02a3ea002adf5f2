import { describe, expect, it } from 'vitest';
import { Interleaver, type InterleavedFrame } from '../../../src/stream/interleaver.js';

let position = 0;
const f = (track: number, tc: number): InterleavedFrame => ({ track, tc, position: position++ });
const tcs = (frames: InterleavedFrame[]): string[] => frames.map((x) => `${x.track}@${x.tc}`);

describe('interleaver', () => {
  it('sends frames in timestamp order across tracks, holding the early track until the late one catches up', () => {
    const il = new Interleaver([1, 2], 1000);
    // Audio (2) arrives 300 ms ahead of the video (1) of the same moment, as with encoder latency.
    expect(il.push(f(2, 0))).toEqual([]);
    expect(il.push(f(2, 100))).toEqual([]);
    expect(il.push(f(2, 200))).toEqual([]);
    expect(il.push(f(2, 300))).toEqual([]);
    expect(tcs(il.push(f(1, 0)))).toEqual(['1@0']); // audio 0 waits: the next video frame could be earlier
    expect(tcs(il.push(f(1, 133)))).toEqual(['2@0', '2@100', '1@133']);
    expect(tcs(il.push(f(1, 266)))).toEqual(['2@200', '1@266']);
    expect(il.size).toBe(1);
    expect(tcs(il.drain())).toEqual(['2@300']);
    expect(il.size).toBe(0);
  });

  it('waits for a silent track only as long as its bound', () => {
    const il = new Interleaver([1, 2], 500);
    expect(il.push(f(1, 0))).toEqual([]);
    expect(il.push(f(1, 400))).toEqual([]);
    expect(tcs(il.push(f(1, 600)))).toEqual(['1@0']); // the queue spans more than 500
    expect(tcs(il.push(f(1, 1200)))).toEqual(['1@400', '1@600']);
  });

  it('keeps each track in its own order and reports the oldest ring position held', () => {
    const il = new Interleaver([1, 2], 1000);
    const first = f(2, 50);
    il.push(first);
    il.push(f(2, 10)); // a track's own order is kept even when its timestamps step back
    expect(il.oldestPosition()).toBe(first.position);
    expect(tcs(il.push(f(1, 20)))).toEqual(['1@20']); // the audio head (50) is later
    expect(tcs(il.drain())).toEqual(['2@50', '2@10']);
    il.push(f(2, 99));
    il.clear();
    expect(il.size).toBe(0);
    expect(il.oldestPosition()).toBeUndefined();
  });

  it('passes through the frames of a track it does not interleave', () => {
    const il = new Interleaver([1], 1000);
    expect(tcs(il.push(f(1, 5)))).toEqual(['1@5']);
    expect(tcs(il.push(f(3, 7)))).toEqual(['3@7']);
  });
});
