import { describe, expect, test } from 'vitest';
import { EbmlId, END_OF_FRAGMENT_TAG } from '../../../src/mkv/ebml-id.js';
import { element, encodeId, encodeSize, uintElement } from '../../../src/local/ebml.js';
import { createMkvParser, MkvParseError, type MkvEvent } from '../../../src/local/mkv-parser.js';
import { cluster, clusters, ebmlHeader, eofrTags, header, info, mkvStream, segmentStart, simpleBlock, tracksElement } from './helpers.js';

function feed(data: Buffer, chunkSizes: number[] | number): MkvEvent[] {
  const p = createMkvParser();
  const out: MkvEvent[] = [];
  let pos = 0;
  let i = 0;
  while (pos < data.length) {
    const size = typeof chunkSizes === 'number' ? chunkSizes : chunkSizes[i++ % chunkSizes.length]!;
    out.push(...p.push(data.subarray(pos, pos + size)));
    pos += size;
  }
  out.push(...p.end());
  return out;
}

/** A compact trace of the structural events (cluster-data omitted). */
function trace(events: MkvEvent[]): string[] {
  return events
    .filter((e) => e.type !== 'cluster-data')
    .map((e) => {
      switch (e.type) {
        case 'cluster-timecode':
          return `tc:${e.timecode}`;
        case 'block':
          return `block:${e.track}@${e.timecode}${e.keyframe ? 'K' : ''}`;
        case 'tracks':
          return `tracks:${e.tracks.map((t) => t.number).join(',')}`;
        case 'tags':
          return `tags:${e.simpleTags.map((t) => t.name).join(',')}`;
        case 'info':
          return `info:${e.timestampScaleNs}`;
        default:
          return e.type;
      }
    });
}

const BODY = mkvStream({ clusters: clusters(3, { framesPerCluster: 3 }) });
const EXPECTED = [
  'ebml-header',
  'segment',
  'info:1000000',
  'tracks:1',
  'cluster-start',
  'tc:0',
  'block:1@0K',
  'block:1@100',
  'block:1@200',
  'cluster-end',
  'cluster-start',
  'tc:300',
  'block:1@0K',
  'block:1@100',
  'block:1@200',
  'cluster-end',
  'cluster-start',
  'tc:600',
  'block:1@0K',
  'block:1@100',
  'block:1@200',
  'cluster-end',
  `tags:${END_OF_FRAGMENT_TAG}`,
];

describe('incremental MKV parser', () => {
  test('parses a producer stream fed in one piece', () => {
    expect(trace(feed(BODY, BODY.length))).toEqual(EXPECTED);
  });

  test('gives the same events when fed byte by byte', () => {
    expect(trace(feed(BODY, 1))).toEqual(EXPECTED);
  });

  test('gives the same events for odd chunk sizes', () => {
    for (const sizes of [[2], [3, 7], [13], [5, 1, 64, 2]]) expect(trace(feed(BODY, sizes))).toEqual(EXPECTED);
  });

  test('ends an unknown-size cluster at the END_OF_FRAGMENT Tags before the Tags is complete', () => {
    const p = createMkvParser();
    const head = Buffer.concat([header(), cluster({ timecode: 0, frames: [{ timecode: 0, keyframe: true }] })]);
    const tags = eofrTags();
    const events = [...p.push(head), ...p.push(tags.subarray(0, 4))];
    expect(trace(events).slice(-1)).toEqual(['cluster-end']);
    expect(trace(p.push(tags.subarray(4)))).toEqual([`tags:${END_OF_FRAGMENT_TAG}`]);
  });

  test('hands out every cluster byte in cluster-data events', () => {
    const events = feed(BODY, 7);
    const data = events.flatMap((e) => (e.type === 'cluster-data' || e.type === 'cluster-start' ? [e.type === 'cluster-data' ? e.bytes : e.headerBytes] : []));
    const clusterBytes = clusters(3, { framesPerCluster: 3 }).map(cluster);
    expect(Buffer.concat(data).equals(Buffer.concat(clusterBytes))).toBe(true);
  });

  test('handles a known-size Segment and known-size Clusters', () => {
    const c = Buffer.concat([uintElement(EbmlId.Timestamp, 40), simpleBlock({ timecode: 0, keyframe: true }), simpleBlock({ timecode: 33 })]);
    const knownCluster = Buffer.concat([encodeId(EbmlId.Cluster), encodeSize(c.length), c]);
    const segmentBody = Buffer.concat([info(), tracksElement([{ number: 1 }]), knownCluster, knownCluster]);
    const data = Buffer.concat([ebmlHeader('webm'), encodeId(EbmlId.Segment), encodeSize(segmentBody.length), segmentBody]);
    expect(trace(feed(data, 3))).toEqual([
      'ebml-header', 'segment', 'info:1000000', 'tracks:1',
      'cluster-start', 'tc:40', 'block:1@0K', 'block:1@33', 'cluster-end',
      'cluster-start', 'tc:40', 'block:1@0K', 'block:1@33', 'cluster-end',
      'segment-end',
    ]);
  });

  test('reads TimestampScale, negative block timecodes and BlockGroups', () => {
    const group = element(EbmlId.BlockGroup, element(EbmlId.Block, Buffer.from([0x82, 0xff, 0xf6, 0x00, 1, 2])), uintElement(EbmlId.BlockDuration, 20), element(EbmlId.ReferenceBlock, Buffer.from([0xf6])));
    const data = Buffer.concat([ebmlHeader(), segmentStart(), info(100_000), tracksElement([{ number: 1 }, { number: 2, type: 2, codecId: 'A_AAC' }]), encodeId(EbmlId.Cluster), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), uintElement(EbmlId.Timestamp, 1000), simpleBlock({ track: 1, timecode: 0, keyframe: true }), group]);
    const events = feed(data, 5);
    expect(trace(events)).toEqual(['ebml-header', 'segment', 'info:100000', 'tracks:1,2', 'cluster-start', 'tc:1000', 'block:1@0K', 'block:2@-10', 'cluster-end']);
    const block = events.filter((e) => e.type === 'block')[1];
    expect(block).toMatchObject({ durationTicks: 20, keyframe: false });
  });

  test('rejects a second segment', () => {
    const data = Buffer.concat([BODY, ebmlHeader(), segmentStart()]);
    expect(() => feed(data, 11)).toThrow(MkvParseError);
    try {
      feed(data, 11);
    } catch (err) {
      expect((err as MkvParseError).code).toBe('MULTIPLE_SEGMENTS');
    }
  });

  test('rejects a body that does not start with an EBML header', () => {
    expect(() => feed(Buffer.from('GET / HTTP/1.1\r\n\r\n'), 4)).toThrow(/EBML header|element ID/);
  });

  test('reports a body that ends inside an element as TRUNCATED', () => {
    const data = BODY.subarray(0, BODY.length - 5);
    try {
      feed(data, 9);
      expect.unreachable();
    } catch (err) {
      expect((err as MkvParseError).code).toBe('TRUNCATED');
    }
  });

  test('rejects a block before the cluster Timestamp', () => {
    const data = Buffer.concat([header(), encodeId(EbmlId.Cluster), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), simpleBlock({ timecode: 0 })]);
    expect(() => feed(data, 3)).toThrow(/before the Cluster Timestamp/);
  });

  test('rejects an element larger than maxElementBytes with ELEMENT_TOO_LARGE', () => {
    const p = createMkvParser({ maxElementBytes: 100 });
    p.push(header());
    p.push(Buffer.concat([encodeId(EbmlId.Cluster), Buffer.from([0x01, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]), uintElement(EbmlId.Timestamp, 0)]));
    try {
      p.push(simpleBlock({ timecode: 0, size: 500 }));
      expect.unreachable();
    } catch (err) {
      expect((err as MkvParseError).code).toBe('ELEMENT_TOO_LARGE');
    }
  });
});
