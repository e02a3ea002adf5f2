import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameFlag, nativeBinding, RecordType, Ring, RingRole, RING_VERSION } from '../../../src/ring/ring.js';

const opened: Ring[] = [];

/** An element-side ring and a worker-side ring attached to it, in one process. */
function pair(forward = 64 * 1024, back = 16 * 1024): { element: Ring; worker: Ring } {
  const element = Ring.create(forward, back);
  const [memfd, fwd, bck] = element.peerFds();
  const worker = Ring.attach({ memfd, forward: fwd, back: bck }, RingRole.Worker);
  opened.push(element, worker);
  return { element, worker };
}

afterEach(() => {
  for (const ring of opened.splice(0)) ring.close();
});

describe('ring', () => {
  it('agrees with the addon on version and record types', () => {
    const c = nativeBinding().constants;
    expect(c.KVS_RING_VERSION).toBe(RING_VERSION);
    for (const [name, value] of Object.entries(RecordType)) expect(c[`KVS_RING_REC_${name}`]).toBe(value);
    for (const [name, value] of Object.entries(FrameFlag)) expect(c[`KVS_RING_FRAME_${name}`]).toBe(value);
    expect(c.KVS_RING_RECORD_HEADER_BYTES).toBe(48);
  });

  it('carries records with their header fields and payload bytes', () => {
    const { element, worker } = pair();
    const payload = Uint8Array.from([1, 2, 3, 4, 5]);
    expect(element.write(RecordType.FRAME, { track: 2, flags: FrameFlag.KEY, pts: 1_700_000_000_123_456_789n,
      dts: 5n, duration: 33_333_333n, aux: 42n, payload })).toBe(true);
    const rec = worker.read();
    expect(rec).not.toBeNull();
    expect(rec!.type).toBe(RecordType.FRAME);
    expect(rec!.track).toBe(2);
    expect(rec!.flags).toBe(FrameFlag.KEY);
    expect(rec!.pts).toBe(1_700_000_000_123_456_789n);
    expect(rec!.dts).toBe(5n);
    expect(rec!.duration).toBe(33_333_333n);
    expect(rec!.aux).toBe(42n);
    expect([...rec!.payload]).toEqual([1, 2, 3, 4, 5]);
    expect(rec!.position).toBe(0);
    expect(rec!.next).toBe(56);
    expect(worker.read()).toBeNull();
  });

  it('refuses a write when full and accepts it again after the reader releases', () => {
    const { element, worker } = pair(4096, 4096);
    const payload = new Uint8Array(1000);
    let written = 0;
    while (element.write(RecordType.FRAME, { payload })) written++;
    expect(written).toBe(3);
    const first = worker.read()!;
    worker.release(first.next);
    expect(element.write(RecordType.FRAME, { payload })).toBe(true);
  });

  it('wraps records around the end of the region without splitting them', () => {
    const { element, worker } = pair(4096, 4096);
    const seen: number[] = [];
    for (let i = 0; i < 50; i++) {
      const payload = new Uint8Array(700 + (i % 5) * 37).fill(i);
      expect(element.write(RecordType.FRAME, { track: 1, pts: BigInt(i), payload })).toBe(true);
      const rec = worker.read()!;
      expect(rec.payload.length).toBe(payload.length);
      expect(rec.payload.every((b) => b === i)).toBe(true);
      seen.push(Number(rec.pts));
      worker.release(rec.next);
    }
    expect(seen).toEqual([...Array(50).keys()]);
  });

  it('lets the reader seek back to replay records it has not released', () => {
    const { element, worker } = pair();
    for (let i = 0; i < 3; i++) element.write(RecordType.FRAME, { pts: BigInt(i), payload: new Uint8Array(10) });
    const a = worker.read()!;
    worker.read();
    worker.seek(a.position);
    expect(worker.read()!.pts).toBe(0n);
    worker.release(a.next);
    expect(() => worker.seek(a.position)).toThrow(/Seeking/);
  });

  it('rejects a record that can never fit', () => {
    const { element } = pair(4096, 4096);
    expect(() => element.write(RecordType.FRAME, { payload: new Uint8Array(4096) })).toThrow(/RING_RECORD_TOO_LARGE/);
  });

  it('carries records the other way, worker to element', () => {
    const { element, worker } = pair();
    const text = new TextEncoder().encode('{"version":1}');
    expect(worker.write(RecordType.READY, { payload: text })).toBe(true);
    const rec = element.read()!;
    expect(rec.type).toBe(RecordType.READY);
    expect(new TextDecoder().decode(rec.payload)).toBe('{"version":1}');
  });

  it('wakes a waiting reader when a record arrives, and times out otherwise', async () => {
    const { element, worker } = pair();
    expect(await worker.waitReadable(10)).toBe('timeout');
    const waiting = worker.waitReadable(5000);
    setTimeout(() => element.write(RecordType.EOS), 20);
    expect(await waiting).toBe('readable');
    expect(worker.read()!.type).toBe(RecordType.EOS);
  });

  it('reports hang-up to a reader in another process when the element goes away', async () => {
    const element = Ring.create(64 * 1024, 16 * 1024);
    const [memfd, fwd, back] = element.peerFds();
    // The child uses the addon directly: node 20 can't load the TypeScript wrapper.
    const addon = new URL('../../../build/Release/kvssink_ring.node', import.meta.url).pathname;
    const script = `
      const { Ring, FdWatcher, strerror } = require(${JSON.stringify(addon)});
      const ring = Ring.attach(3, 4, 5, 1);
      process.stdout.write('waiting\\n');
      if (ring.arm() === 0) {
        const watcher = new FdWatcher(ring.readFd(), (event) => {
          const rc = ring.takeWakeups();
          if (event === 2 || rc !== 0) {
            process.stdout.write(strerror(rc !== 0 ? rc : -4) + '\\n');
            watcher.close();
          }
        });
      }`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit', memfd, fwd, back] });
    element.closePeerFds();
    let out = '';
    child.stdout!.setEncoding('utf8');
    await new Promise<void>((resolve) => child.stdout!.on('data', (chunk: string) => {
      out += chunk;
      if (out.includes('waiting')) resolve();
    }));
    element.close();
    await new Promise((resolve) => child.on('exit', resolve));
    expect(out.trim().split('\n')).toEqual(['waiting', 'RING_PEER_GONE']);
  });

  it('gives released pages back: resident memory follows what is held, not the capacity', () => {
    const residentKiB = (): number => {
      // Both ends are mapped in this process: the largest mapping of a ring is one side's view.
      let max = 0;
      for (const block of readFileSync('/proc/self/smaps', 'utf8').split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
        if (block.includes('memfd:kvssink-ring')) max = Math.max(max, Number(/\nRss:\s+(\d+) kB/.exec(block)?.[1] ?? 0));
      }
      return max;
    };
    const { element, worker } = pair(8 * 1024 * 1024);
    const payload = new Uint8Array(64 * 1024).fill(1);
    for (let i = 0; i < 400; i++) {
      expect(element.write(RecordType.FRAME, { payload })).toBe(true);
      const rec = worker.read()!;
      // Hold the last 4 frames, as a stream holds its unacknowledged fragments.
      if (i >= 4) worker.release(rec.position - 3 * (payload.length + 48));
    }
    // 25 MiB went through an 8 MiB ring; about 4 frames (256 KiB) are held.
    expect(residentKiB()).toBeLessThan(1024);
  });

  it('keeps content and positions when the element renews the peer fds for a new worker', async () => {
    const element = Ring.create(64 * 1024, 16 * 1024);
    opened.push(element);
    const addon = new URL('../../../build/Release/kvssink_ring.node', import.meta.url).pathname;
    // A worker in another process; fds 3, 4, 5 as the element hands them over.
    const worker = (script: string): { out: Promise<string>; kill: () => void; exited: Promise<unknown> } => {
      const [memfd, fwd, back] = element.peerFds();
      const child = spawn(process.execPath, ['-e', `const { Ring } = require(${JSON.stringify(addon)});
        const ring = Ring.attach(3, 4, 5, 1);
        const u32 = new Uint32Array(5), f64 = new Float64Array(2), i64 = new BigInt64Array(4);
        ring.setReadViews(u32, f64, i64);
        const state = new Uint8Array(ring.workerState());
        const region = new Uint8Array(ring.readRegion());
        ${script}`], { stdio: ['ignore', 'pipe', 'inherit', memfd, fwd, back] });
      element.closePeerFds();
      let text = '';
      child.stdout!.setEncoding('utf8').on('data', (d: string) => (text += d));
      const exited = new Promise((resolve) => child.on('exit', resolve));
      return { out: exited.then(() => text), kill: () => child.kill('SIGKILL'), exited };
    };
    element.write(RecordType.FRAME, { payload: new Uint8Array([1]) });
    element.write(RecordType.FRAME, { payload: new Uint8Array([2]) });
    // The first reads both, releases only the first, notes something, and is killed.
    const first = worker(`ring.read(); ring.release(f64[1]); ring.read(); state[0] = 42;
      process.stdout.write('held'); setInterval(() => {}, 1000);`);
    await new Promise((r) => setTimeout(r, 300));
    first.kill();
    await first.exited;
    expect(await element.waitReadable(2000)).toBe('hangup');

    element.renewPeer();
    const second = worker(`const rc = ring.read();
      process.stdout.write(JSON.stringify({ rc, payload: region[u32[4]], state: state[0] }));
      ring.write(64, 0, 0, -1n, -1n, -1n, 0n, null, 1000);`);
    expect(JSON.parse(await second.out)).toEqual({ rc: 0, payload: 2, state: 42 });
    expect(await element.waitReadable(2000)).toBe('readable');
    expect(element.read()!.type).toBe(RecordType.READY);
  });

  it('detaches payload views on close', () => {
    const { element, worker } = pair();
    element.write(RecordType.FRAME, { payload: new Uint8Array(8).fill(7) });
    const rec = worker.read()!;
    worker.close();
    expect(rec.payload.length).toBe(0);
    expect(() => worker.read()).toThrow(/closed/);
  });
});
