import { afterEach, describe, expect, it } from 'vitest';
import { RecordType, Ring, RingRole } from '../../../src/ring/ring.js';
import { ContentStore, ResumeState } from '../../../src/store/content-store.js';

const opened: Ring[] = [];

function pair(): { element: Ring; worker: Ring } {
  const element = Ring.create(64 * 1024, 16 * 1024);
  const [memfd, forward, back] = element.peerFds();
  const worker = Ring.attach({ memfd, forward, back }, RingRole.Worker);
  opened.push(element, worker);
  return { element, worker };
}

afterEach(() => {
  for (const ring of opened.splice(0)) ring.close();
});

/** Writes `count` frames and sends them as fragments of `perFragment` frames (timecode = first index). */
function sendFragments(element: Ring, worker: Ring, store: ContentStore, count: number, perFragment: number): void {
  for (let i = 0; i < count; i++) element.write(RecordType.FRAME, { payload: new Uint8Array([i]) });
  for (let i = 0; i < count; i++) {
    const rec = worker.read()!;
    if (i % perFragment === 0) store.fragmentStarted(i, rec.position);
    store.frameSent(rec.next);
  }
}

describe('content store', () => {
  it('drops the held fragments before a cut, frees their space, and reads on from the cut', () => {
    const { element, worker } = pair();
    const store = new ContentStore(worker);
    sendFragments(element, worker, store, 6, 2); // fragments 0, 2, 4 sent
    for (let i = 6; i < 9; i++) element.write(RecordType.FRAME, { payload: new Uint8Array([i]) }); // not read yet
    const cut = (() => {
      worker.seek(worker.positions().read);
      worker.read();
      return worker.read()!.position; // frame 7, unread so far
    })();
    const dropped = store.dropBefore(cut);
    expect(dropped).toEqual({ frames: 6, fragments: 3 });
    expect(store.unacknowledged).toBe(0);
    expect(worker.positions().released).toBe(cut);
    expect(Array.from(worker.read()!.payload)).toEqual([7]);
  });

  it('releases ring space in order, only for acknowledged fragments that are complete', () => {
    const { element, worker } = pair();
    const store = new ContentStore(worker);
    sendFragments(element, worker, store, 9, 3); // fragments 0, 3, 6; 6 still open
    expect(store.unacknowledged).toBe(3);
    store.acknowledged(3); // not the oldest: nothing is freed yet
    expect(worker.positions().released).toBe(0);
    store.acknowledged(6); // still open: kept
    expect(store.unacknowledged).toBe(2);
    store.acknowledged(0); // frees up to the start of fragment 6
    expect(store.unacknowledged).toBe(1);
    const released = worker.positions().released;
    store.rewind();
    expect(worker.positions().read).toBe(released);
    expect(Array.from(worker.read()!.payload)).toEqual([6]);
  });

  it('gives up a fragment that can never be accepted, and replays the rest', () => {
    const { element, worker } = pair();
    const store = new ContentStore(worker);
    sendFragments(element, worker, store, 6, 2);
    store.closeLast();
    expect(store.giveUp(0)).toBe(2);
    expect(store.giveUp(99)).toBeUndefined();
    store.rewind();
    expect(Array.from(worker.read()!.payload)).toEqual([2]);
  });
});

describe('resume state', () => {
  it('survives in the ring for the next worker, each value valid on its own', () => {
    const { worker } = pair();
    expect(new ResumeState(worker).load()).toEqual({});
    new ResumeState(worker).save({ startNs: 1_700_000_000_000_000_000n });
    expect(new ResumeState(worker).load()).toEqual({ startNs: 1_700_000_000_000_000_000n });
    new ResumeState(worker).save({ startNs: 5n, offsetNs: -7n });
    expect(new ResumeState(worker).load()).toEqual({ startNs: 5n, offsetNs: -7n });
  });
});
