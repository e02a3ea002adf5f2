import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createStream, mkvStream, perFragment, postJson, putMediaAll } from '../unit/local/helpers.js';
import { fetchIotCredentials, parseIotCertificate } from '../../src/aws/iot-credentials.js';

const run = promisify(execFile);
let work: string;
let cli: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'kvs-local-cli-'));
  // Build only the local endpoint (and what it imports) so this test does not depend on other areas.
  const out = join(work, 'dist');
  await run('npx', ['tsc', 'src/local/cli.ts', '--outDir', out, '--rootDir', 'src', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict', '--skipLibCheck', '--types', 'node'], { cwd: process.cwd() });
  cli = join(out, 'local', 'cli.js');
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function startCli(args: string[]): Promise<{ proc: ChildProcess; url: string; logs: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: string[] = [];
    createInterface({ input: proc.stderr! }).on('line', (l) => logs.push(l));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      const m = /^kvssink-local listening on (https?:\/\/\S+)$/.exec(line);
      if (m) resolve({ proc, url: m[1]!, logs });
    });
    proc.once('exit', (code) => reject(new Error(`cli exited early with ${code}: ${logs.join('\n')}`)));
  });
}

/** Starts `serve` with an IoT provider; resolves with the iot-certificate value it prints. */
function startCliWithIot(args: string[]): Promise<{ proc: ChildProcess; url: string; iotCertificate: string; logs: string[] }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    const logs: string[] = [];
    let url = '';
    createInterface({ input: proc.stderr! }).on('line', (l) => logs.push(l));
    createInterface({ input: proc.stdout! }).on('line', (line) => {
      url = /^kvssink-local listening on (http:\/\/\S+)$/.exec(line)?.[1] ?? url;
      const m = /^ {2}iot-certificate="(.*)"$/.exec(line);
      if (m) resolve({ proc, url, iotCertificate: m[1]!, logs });
    });
    proc.once('exit', (code) => reject(new Error(`cli exited early with ${code}: ${logs.join('\n')}`)));
  });
}

describe('kvssink-local CLI', () => {
  test('runs an IoT credentials provider whose credentials the endpoint accepts, with certificates it makes', async () => {
    const certs = join(work, 'iot-certs');
    const { proc, url, iotCertificate, logs } = await startCliWithIot(['--data-dir', join(work, 'iot-data'), '--iot-port', '0',
      '--iot-certs', certs, '--iot-credential-duration', '120']);
    const settings = parseIotCertificate(iotCertificate, 'cli-thing');
    expect(settings.certPath).toBe(join(certs, 'device.crt'));
    const creds = await fetchIotCredentials(settings);
    expect(creds.expiration!.getTime() - Date.now()).toBeLessThanOrEqual(120_000);
    expect((await postJson(url, '/listStreams', {}, {
      accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken!,
    })).status).toBe(200);
    const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(logs.map((l) => (JSON.parse(l) as { event: string }).event)).toContain('iot-credentials-issued');
    expect(logs.join('\n')).not.toContain(creds.secretAccessKey);
    expect(logs.join('\n')).not.toContain(creds.sessionToken);
  });


  test('serves, logs JSON lines, exits cleanly on SIGTERM; summary and export read the data dir', async () => {
    const dataDir = join(work, 'data');
    const { proc, url, logs } = await startCli(['--port', '0', '--data-dir', dataDir, '--activation-delay-ms', '0', '--access-key', 'AKIAOTHER', '--secret-key', 'other-secret', '--fault', 'fail-call:api=ListStreams,error=500']);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const kvs = { url } as Parameters<typeof createStream>[0];
    await createStream(kvs, 'cli', 1);
    expect((await postJson(url, '/listStreams', {})).status).toBe(500);
    expect((await postJson(url, '/listStreams', {}, { accessKeyId: 'AKIAOTHER', secretAccessKey: 'other-secret' })).status).toBe(200);
    const r = await putMediaAll(url, mkvStream(), { streamName: 'cli' });
    expect(perFragment(r.acks)).toEqual(Array(3).fill('BUFFERING,RECEIVED,PERSISTED'));
    const exited = new Promise<number | null>((res) => proc.once('exit', (code) => res(code)));
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
    const events = logs.map((l) => JSON.parse(l) as { event: string });
    expect(events.map((e) => e.event)).toEqual(expect.arrayContaining(['listening', 'stream-created', 'put-media-start', 'put-media-end', 'closed']));
    expect(logs.join('\n')).not.toContain('other-secret');

    const { stdout } = await run(process.execPath, [cli, 'summary', '--data-dir', dataDir, '--stream', 'cli']);
    expect(JSON.parse(stdout)).toMatchObject({ streamName: 'cli', fragments: 3, frames: 30, acks: { PERSISTED: 3 } });
    const out = join(work, 'cli.mkv');
    const exp = await run(process.execPath, [cli, 'export', '--data-dir', dataDir, '--stream', 'cli', '--out', out]);
    expect(JSON.parse(exp.stdout)).toMatchObject({ fragments: 3, frames: 30, segments: 1 });
    expect((await readFile(out)).length).toBeGreaterThan(0);
  });
});
