/**
 * The properties that interact, pairwise: fragment-duration × key-frame-fragmentation ×
 * frame-timecodes × absolute-fragment-times × timecode-scale × streaming-type × fragment-acks.
 * Every pair of values of any two of them appears in some row (a covering array of strength 2:
 * 6 rows instead of the 128 of the full product), each row a real pipeline into the local
 * endpoint, checked for what each setting shows there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { tempDir } from '../integration/gst.js';
import { expectStreamed, FRAMES, mkvTimestampScaleNs, Runs } from './params.js';

const FACTORS = {
  'fragment-duration': ['1000', '2000'],
  'key-frame-fragmentation': ['true', 'false'],
  'frame-timecodes': ['true', 'false'],
  'absolute-fragment-times': ['true', 'false'],
  'timecode-scale': ['1', '10'],
  'streaming-type': ['realtime', 'offline'],
  'fragment-acks': ['true', 'false'],
} as const;
type Factor = keyof typeof FACTORS;
type Row = Record<Factor, string>;

/**
 * Six rows cover every pair of seven two-valued factors: give factor j the value 1 in row i
 * when i is in the j-th 3-element subset of {0..5} that contains 0. Any two such subsets share
 * 0 (both 1), miss a row together (both 0), and each has a row the other lacks (1/0 and 0/1).
 */
export function coveringRows(): Row[] {
  const subsets: number[][] = [];
  for (let a = 1; a < 6; a++) for (let b = a + 1; b < 6; b++) subsets.push([0, a, b]);
  const names = Object.keys(FACTORS) as Factor[];
  return [0, 1, 2, 3, 4, 5].map((i) => Object.fromEntries(names.map((name, j) =>
    [name, FACTORS[name][subsets[j]!.includes(i) ? 1 : 0]])) as Row);
}

const ROWS = coveringRows();
let kvs: LocalKvs;
const runs = new Runs(() => kvs);

function streamOf(index: number): string {
  return `pairwise-${index}`;
}

function run(index: number) {
  const row = ROWS[index]!;
  return runs.sink(streamOf(index), Object.entries(row).map(([k, v]) => `${k}=${v}`).join(' '));
}

beforeAll(async () => {
  kvs = await startLocalKvs({ dataDir: tempDir('pairwise-data') });
  ROWS.forEach((_, i) => void run(i).catch(() => undefined));
});

afterAll(async () => {
  await kvs?.close();
});

describe('pairwise matrix', () => {
  it('covers every pair of values of every two factors', () => {
    const names = Object.keys(FACTORS) as Factor[];
    for (const a of names) {
      for (const b of names) {
        if (a >= b) continue;
        for (const va of FACTORS[a]) {
          for (const vb of FACTORS[b]) expect(ROWS.some((r) => r[a] === va && r[b] === vb), `${a}=${va} ${b}=${vb}`).toBe(true);
        }
      }
    }
  });

  ROWS.forEach((row, index) => {
    it(Object.entries(row).map(([k, v]) => `${k}=${v}`).join(' '), async () => {
      const o = await run(index);
      expectStreamed(o);
      expect(o.sessions[0]?.timecodeType).toBe(row['absolute-fragment-times'] === 'true' ? 'ABSOLUTE' : 'RELATIVE');
      expect(o.sessions[0]?.ackRequired).toBe(row['fragment-acks'] === 'true' ? '1' : '0');
      expect(mkvTimestampScaleNs(o.mkv)).toBe(Number(row['timecode-scale']) * 1_000_000);
      // Producer times: now in both streaming types (file-start-time 0 means the current time).
      expect(Math.abs(o.fragments[0]!.producerTimestampMs - Date.now())).toBeLessThan(5 * 60_000);
      // 60 frames at 30 fps span 2 s with buffer timestamps; arrival times of a fast
      // non-live source span less than a fragment's 1 s minimum.
      const counts = o.fragments.map((f) => f.frameCount);
      if (row['frame-timecodes'] === 'false') {
        expect(counts).toEqual([FRAMES]);
      } else if (row['key-frame-fragmentation'] === 'true' || row['fragment-duration'] === '1000') {
        expect(counts).toEqual([30, 30]);
      } else {
        expect(counts).toEqual([FRAMES]);
      }
      // Cluster timecodes count timecode-scale units, from the epoch or from the session's start.
      const scale = Number(row['timecode-scale']);
      const base = row['absolute-fragment-times'] === 'true' ? 0 : o.sessions[0]!.producerStartTimestampMs!;
      for (const f of o.fragments) expect(base + f.fragmentTimecode * scale).toBe(f.producerTimestampMs);
      expect(o.output.split('\n').filter((l) => l.startsWith('WARNING') || l.startsWith('ERROR'))).toEqual([]);
    });
  });
});
