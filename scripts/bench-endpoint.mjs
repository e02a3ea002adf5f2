// The benchmark's local KVS endpoint, run as its own process (forked with an IPC channel by
// scripts/bench.mjs) so that its CPU is never counted in a pipeline's. fsync off, the 12.5 MB/s
// PutMedia cap and the 5 TPS limits lifted, no raw session copies: the bench measures the sink,
// not the service. Messages: {id, op:'count', stream} -> {id, fragments, frames, bytes};
// {id, op:'cpu'} -> {id, cpuS}; {op:'close'}.
import { startLocalKvs } from '../dist/local/server.js';

const dataDir = process.argv[2];
if (!dataDir) throw new Error('usage: bench-endpoint.mjs DATA_DIR');
const big = Number.MAX_SAFE_INTEGER;
const kvs = await startLocalKvs({
  dataDir, fsync: false, keepRawSessions: false, activationDelayMs: 0,
  limits: { putMediaBytesPerSecond: big, putMediaTps: big, controlPlaneStreamTps: big },
});
process.on('message', async (m) => {
  if (m.op === 'close') {
    await kvs.close();
    process.disconnect();
    return;
  }
  if (m.op === 'count') {
    let fragments = 0, frames = 0, bytes = 0;
    try {
      for (const f of kvs.getFragments(m.stream)) { fragments++; frames += f.frameCount; bytes += f.sizeBytes; }
    } catch {
      // No such stream: nothing stored.
    }
    process.send({ id: m.id, fragments, frames, bytes });
    return;
  }
  if (m.op === 'cpu') {
    const u = process.resourceUsage();
    process.send({ id: m.id, cpuS: (u.userCPUTime + u.systemCPUTime) / 1e6 });
  }
});
process.send({ op: 'ready', url: kvs.url });
