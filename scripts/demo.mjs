// Runs the demo pipeline against a local KVS endpoint started in this process.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalKvs } from '../dist/local/server.js';
import { exportStream, summarizeStream } from '../dist/local/summary.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const outDir = join(root, 'demo-output');
const dataDir = join(outDir, 'kvs-data');
const streamName = 'kvssink-demo';
const seconds = Number(process.env.DEMO_SECONDS ?? 10);

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });

const kvs = await startLocalKvs({ dataDir });
console.log(`local KVS endpoint: ${kvs.url} (data in ${dataDir})`);

const pipeline = [
  'videotestsrc', 'is-live=true', 'pattern=ball', `num-buffers=${seconds * 30}`,
  '!', 'video/x-raw,width=640,height=480,framerate=30/1',
  '!', 'x264enc', 'tune=zerolatency', 'bframes=0', 'key-int-max=30', 'bitrate=1000',
  '!', 'video/x-h264,stream-format=avc,alignment=au,profile=baseline',
  '!', 'kvssink', `stream-name=${streamName}`, 'access-key=AKIDEXAMPLE',
  'secret-key=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'aws-region=us-west-2',
];
const shown = pipeline.map((a) => (a.startsWith('secret-key=') ? 'secret-key=…' : a)).join(' ');
console.log(`\n$ gst-launch-1.0 -e -m ${shown}\n`);

const env = { ...process.env, GST_PLUGIN_PATH: join(root, 'build-gst'), AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url };
const code = await new Promise((resolve) => {
  const child = spawn('gst-launch-1.0', ['-e', '-m', ...pipeline], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  let closedLine = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (text) => {
    for (const line of text.split('\n')) {
      if (line.includes('kvs-fragment-ack') && line.includes('PERSISTED')) process.stdout.write('.');
      if (line.includes('kvs-stream-closed')) closedLine = line;
      if (/^(Setting|Got EOS|Execution ended|ERROR|WARNING)/.test(line)) console.log(line);
    }
  });
  child.on('close', (c) => {
    if (closedLine) console.log(`\nelement: ${closedLine.replace(/.*kvs-stream-closed, /, '').replace(/\(\w+\)/g, '')}`);
    resolve(c);
  });
});
if (code !== 0) {
  await kvs.close();
  console.error(`\ngst-launch-1.0 failed (exit ${code})`);
  process.exit(1);
}

const summary = await summarizeStream(dataDir, streamName);
const recording = join(outDir, `${streamName}.mkv`);
const exported = await exportStream(dataDir, streamName, recording);
await kvs.close();

const probe = spawnSync('ffprobe', ['-v', 'error', '-count_frames', '-select_streams', 'v:0', '-show_entries',
  'stream=codec_name,width,height,nb_read_frames', '-of', 'default=noprint_wrappers=1', recording], { encoding: 'utf8' });
const decoded = Object.fromEntries(probe.stdout.trim().split('\n').map((l) => l.split('=')));

console.log('\n== summary');
console.log(`stream        ${streamName} (${summary.status}, retention ${summary.dataRetentionInHours} h)`);
console.log(`fragments     ${summary.fragments}`);
console.log(`frames        ${summary.frames}`);
console.log(`bytes         ${summary.bytes}`);
console.log(`duration      ${(summary.durationMs / 1000).toFixed(1)} s`);
console.log(`acks          ${Object.entries(summary.acks).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log(`recording     ${recording} (${exported.fragments} fragments, ${exported.bytes} bytes)`);
console.log(`ffprobe       ${decoded.codec_name} ${decoded.width}x${decoded.height}, ${decoded.nb_read_frames} frames decoded`);

const expected = seconds * 30;
if (probe.status !== 0 || Number(decoded.nb_read_frames) !== expected || summary.frames !== expected) {
  console.error(`\nFAILED: expected ${expected} frames in the recording`);
  process.exit(1);
}
console.log(`\nOK: play it with  ffplay ${recording}  or  gst-play-1.0 ${recording}`);
