import { execFile, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import {
  CreateStreamCommand,
  DeleteStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
  ListStreamsCommand,
  ListTagsForStreamCommand,
  ResourceInUseException,
  ResourceNotFoundException,
  InvalidArgumentException,
  TagStreamCommand,
  TagsPerResourceExceededLimitException,
  UntagStreamCommand,
  UpdateDataRetentionCommand,
  UpdateStreamCommand,
  VersionMismatchException,
  ClientLimitExceededException,
} from '@aws-sdk/client-kinesis-video';
import { afterEach, describe, expect, test } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ACCESS_KEY, createStream, mkvStream, postJson, putMediaAll, REGION, SECRET_KEY, startTestServer, type TestServer } from './helpers.js';

const run = promisify(execFile);

let t: TestServer | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

function client(url: string, secretAccessKey = SECRET_KEY): KinesisVideoClient {
  return new KinesisVideoClient({ endpoint: url, region: REGION, credentials: { accessKeyId: ACCESS_KEY, secretAccessKey }, maxAttempts: 1 });
}

async function waitActive(c: KinesisVideoClient, name: string): Promise<number> {
  for (let polls = 1; polls <= 200; polls++) {
    const d = await c.send(new DescribeStreamCommand({ StreamName: name }));
    if (d.StreamInfo?.Status === 'ACTIVE') return polls;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error('stream never became ACTIVE');
}

describe('control plane with @aws-sdk/client-kinesis-video', () => {
  test('a created stream becomes ACTIVE by time alone; by default at once', async () => {
    t = await startTestServer({ activationDelayMs: 80 });
    const c = client(t.kvs.url);
    await c.send(new CreateStreamCommand({ StreamName: 'timed' }));
    // No DescribeStream in between: the transition must not wait for one.
    await new Promise((r) => setTimeout(r, 300));
    expect(t.kvs.listStreams().find((s) => s.streamName === 'timed')?.status).toBe('ACTIVE');
    await t.kvs.close();

    t = await startTestServer({ activationDelayMs: undefined });
    const d = client(t.kvs.url);
    await d.send(new CreateStreamCommand({ StreamName: 'at-once' }));
    expect((await d.send(new DescribeStreamCommand({ StreamName: 'at-once' }))).StreamInfo?.Status).toBe('ACTIVE');
  });

  test('create, describe (CREATING → ACTIVE), list, get data endpoint, tags, retention, delete', async () => {
    t = await startTestServer({ activationDelayMs: 100, limits: { controlPlaneStreamTps: 1000 } });
    const c = client(t.kvs.url);
    const created = await c.send(new CreateStreamCommand({ StreamName: 'cam-1', DataRetentionInHours: 2, MediaType: 'video/h264', Tags: { site: 'lab' } }));
    expect(created.StreamARN).toMatch(/^arn:aws:kinesisvideo:us-west-2:\d{12}:stream\/cam-1\/\d+$/);
    const first = await c.send(new DescribeStreamCommand({ StreamName: 'cam-1' }));
    expect(first.StreamInfo).toMatchObject({ StreamName: 'cam-1', StreamARN: created.StreamARN, Status: 'CREATING', DataRetentionInHours: 2, MediaType: 'video/h264' });
    expect(first.StreamInfo?.CreationTime).toBeInstanceOf(Date);
    expect(Math.abs(first.StreamInfo!.CreationTime!.getTime() - Date.now())).toBeLessThan(60_000);
    expect(await waitActive(c, 'cam-1')).toBeGreaterThan(1);

    const byArn = await c.send(new DescribeStreamCommand({ StreamARN: created.StreamARN }));
    expect(byArn.StreamInfo?.StreamName).toBe('cam-1');

    for (const APIName of ['PUT_MEDIA', 'GET_MEDIA', 'LIST_FRAGMENTS', 'GET_MEDIA_FOR_FRAGMENT_LIST', 'GET_HLS_STREAMING_SESSION_URL', 'GET_DASH_STREAMING_SESSION_URL', 'GET_CLIP', 'GET_IMAGES'] as const) {
      const e = await c.send(new GetDataEndpointCommand({ StreamName: 'cam-1', APIName }));
      expect(e.DataEndpoint).toBe(t.kvs.url);
    }

    await c.send(new CreateStreamCommand({ StreamName: 'cam-2' }));
    await c.send(new CreateStreamCommand({ StreamName: 'other' }));
    const all = await c.send(new ListStreamsCommand({}));
    expect(all.StreamInfoList?.map((s) => s.StreamName)).toEqual(['cam-1', 'cam-2', 'other']);
    const prefixed = await c.send(new ListStreamsCommand({ StreamNameCondition: { ComparisonOperator: 'BEGINS_WITH', ComparisonValue: 'cam' } }));
    expect(prefixed.StreamInfoList?.map((s) => s.StreamName)).toEqual(['cam-1', 'cam-2']);
    const page1 = await c.send(new ListStreamsCommand({ MaxResults: 2 }));
    expect(page1.StreamInfoList).toHaveLength(2);
    const page2 = await c.send(new ListStreamsCommand({ MaxResults: 2, NextToken: page1.NextToken! }));
    expect(page2.StreamInfoList?.map((s) => s.StreamName)).toEqual(['other']);
    expect(page2.NextToken).toBeUndefined();

    await c.send(new TagStreamCommand({ StreamName: 'cam-1', Tags: { owner: 'qa', site: 'field' } }));
    expect((await c.send(new ListTagsForStreamCommand({ StreamName: 'cam-1' }))).Tags).toEqual({ site: 'field', owner: 'qa' });
    await c.send(new UntagStreamCommand({ StreamARN: created.StreamARN, TagKeyList: ['site', 'absent'] }));
    expect((await c.send(new ListTagsForStreamCommand({ StreamName: 'cam-1' }))).Tags).toEqual({ owner: 'qa' });

    const v1 = (await c.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))).StreamInfo!.Version!;
    await c.send(new UpdateDataRetentionCommand({ StreamName: 'cam-1', CurrentVersion: v1, Operation: 'INCREASE_DATA_RETENTION', DataRetentionChangeInHours: 3 }));
    const after = (await c.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))).StreamInfo!;
    expect(after.DataRetentionInHours).toBe(5);
    expect(after.Version).not.toBe(v1);
    await expect(c.send(new UpdateDataRetentionCommand({ StreamName: 'cam-1', CurrentVersion: v1, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 1 }))).rejects.toBeInstanceOf(VersionMismatchException);
    await expect(c.send(new UpdateDataRetentionCommand({ StreamName: 'cam-1', CurrentVersion: after.Version!, Operation: 'DECREASE_DATA_RETENTION', DataRetentionChangeInHours: 6 }))).rejects.toBeInstanceOf(InvalidArgumentException);

    await c.send(new DeleteStreamCommand({ StreamARN: created.StreamARN }));
    const deleting = await c.send(new DescribeStreamCommand({ StreamName: 'cam-1' })).then(
      (d) => d.StreamInfo?.Status,
      (e: Error) => e.name,
    );
    expect(['DELETING', 'ResourceNotFoundException']).toContain(deleting);
    for (let i = 0; i < 200; i++) {
      const gone = await c.send(new DescribeStreamCommand({ StreamName: 'cam-1' })).then(() => false, (e: unknown) => e instanceof ResourceNotFoundException);
      if (gone) break;
      await new Promise((r) => setTimeout(r, 25));
    }
    await expect(c.send(new DescribeStreamCommand({ StreamName: 'cam-1' }))).rejects.toBeInstanceOf(ResourceNotFoundException);
    expect(t.kvs.listStreams().map((s) => s.streamName)).toEqual(['cam-2', 'other']);
  });

  test('maps errors to the SDK exception classes', async () => {
    t = await startTestServer();
    const c = client(t.kvs.url);
    const missing = await c.send(new DescribeStreamCommand({ StreamName: 'nope' })).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ResourceNotFoundException);
    expect((missing as ResourceNotFoundException).$metadata.httpStatusCode).toBe(404);
    await c.send(new CreateStreamCommand({ StreamName: 'dup' }));
    await expect(c.send(new CreateStreamCommand({ StreamName: 'dup' }))).rejects.toBeInstanceOf(ResourceInUseException);
    await expect(c.send(new CreateStreamCommand({ StreamName: 'bad name!' }))).rejects.toBeInstanceOf(InvalidArgumentException);
    await expect(c.send(new DescribeStreamCommand({}))).rejects.toBeInstanceOf(InvalidArgumentException);
    const tooMany = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v']));
    await expect(c.send(new TagStreamCommand({ StreamName: 'dup', Tags: tooMany }))).rejects.toBeInstanceOf(TagsPerResourceExceededLimitException);
    await expect(c.send(new GetDataEndpointCommand({ StreamName: 'dup', APIName: 'NOPE' as 'PUT_MEDIA' }))).rejects.toBeInstanceOf(InvalidArgumentException);
  });

  test('rejects a wrong secret with InvalidSignatureException', async () => {
    t = await startTestServer();
    const err = await client(t.kvs.url, 'wrong-secret').send(new ListStreamsCommand({})).catch((e: unknown) => e as Error & { $metadata: { httpStatusCode: number } });
    expect(err.name).toBe('InvalidSignatureException');
    expect(err.message).toContain('The request signature we calculated does not match the signature you provided');
    expect(err.$metadata.httpStatusCode).toBe(403);
  });

  test('UpdateStream changes MediaType and DeviceName and checks the version', async () => {
    t = await startTestServer();
    const c = client(t.kvs.url);
    await c.send(new CreateStreamCommand({ StreamName: 'upd' }));
    const v = (await c.send(new DescribeStreamCommand({ StreamName: 'upd' }))).StreamInfo!.Version!;
    await c.send(new UpdateStreamCommand({ StreamName: 'upd', CurrentVersion: v, MediaType: 'video/h264,audio/aac', DeviceName: 'cam-7' }));
    const info = (await c.send(new DescribeStreamCommand({ StreamName: 'upd' }))).StreamInfo!;
    expect(info).toMatchObject({ MediaType: 'video/h264,audio/aac', DeviceName: 'cam-7' });
    await expect(c.send(new UpdateStreamCommand({ StreamName: 'upd', CurrentVersion: v, MediaType: 'video/h265' }))).rejects.toBeInstanceOf(VersionMismatchException);
  });

  test('a stream that is not ACTIVE cannot be deleted (ResourceInUseException)', async () => {
    t = await startTestServer({ activationDelayMs: 60_000 });
    const c = client(t.kvs.url);
    const { StreamARN } = await c.send(new CreateStreamCommand({ StreamName: 'slow' }));
    await expect(c.send(new DeleteStreamCommand({ StreamARN }))).rejects.toBeInstanceOf(ResourceInUseException);
  });

  test('enforces the stream-level 5 TPS limit of DescribeStream', async () => {
    t = await startTestServer();
    const c = client(t.kvs.url);
    await c.send(new CreateStreamCommand({ StreamName: 'tps' }));
    const results = await Promise.all(Array.from({ length: 6 }, () => c.send(new DescribeStreamCommand({ StreamName: 'tps' })).then(() => 'ok', (e: unknown) => e)));
    expect(results.filter((r) => r === 'ok')).toHaveLength(5);
    expect(results.find((r) => r !== 'ok')).toBeInstanceOf(ClientLimitExceededException);
  });

  test('errors carry x-amzn-ErrorType and a {"__type","message"} body', async () => {
    t = await startTestServer();
    const r = await postJson(t.kvs.url, '/describeStream', { StreamName: 'none' });
    expect(r.status).toBe(404);
    expect(r.headers['x-amzn-errortype']).toBe('ResourceNotFoundException');
    expect(r.json()).toMatchObject({ __type: 'ResourceNotFoundException', message: expect.any(String) });
    const unknown = await postJson(t.kvs.url, '/noSuchThing', {});
    expect(unknown.status).toBe(404);
    expect(unknown.headers['x-amzn-errortype']).toBe('UnknownOperationException');
  });
});

// scripts/setup installs Debian's awscli where the release packages it (Debian does; some
// Ubuntu releases do not): without it there is no CLI to drive, and this says so.
const awsCli = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
if (!awsCli) process.stderr.write('AWS CLI not installed: the AWS CLI tests are skipped\n');

describe.skipIf(!awsCli)('control plane with the AWS CLI', () => {
  test('create, describe, list, get-data-endpoint, tag, delete; a wrong secret is rejected', async () => {
    t = await startTestServer({ activationDelayMs: 50 });
    const env = { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_DEFAULT_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
    delete env.AWS_SESSION_TOKEN;
    delete env.AWS_PROFILE;
    const aws = async (...args: string[]): Promise<unknown> => {
      const { stdout } = await run('aws', ['kinesisvideo', ...args, '--endpoint-url', t!.kvs.url, '--output', 'json'], { env });
      return stdout.trim() ? JSON.parse(stdout) : undefined;
    };
    const created = (await aws('create-stream', '--stream-name', 'cli-stream', '--data-retention-in-hours', '24', '--media-type', 'video/h264')) as { StreamARN: string };
    expect(created.StreamARN).toContain(':stream/cli-stream/');
    let status = '';
    for (let i = 0; i < 100 && status !== 'ACTIVE'; i++) {
      status = ((await aws('describe-stream', '--stream-name', 'cli-stream')) as { StreamInfo: { Status: string } }).StreamInfo.Status;
      if (status !== 'ACTIVE') await new Promise((r) => setTimeout(r, 50));
    }
    expect(status).toBe('ACTIVE');
    const list = (await aws('list-streams')) as { StreamInfoList: Array<{ StreamName: string; DataRetentionInHours: number }> };
    expect(list.StreamInfoList).toEqual([expect.objectContaining({ StreamName: 'cli-stream', DataRetentionInHours: 24 })]);
    const ep = (await aws('get-data-endpoint', '--stream-name', 'cli-stream', '--api-name', 'PUT_MEDIA')) as { DataEndpoint: string };
    expect(ep.DataEndpoint).toBe(t.kvs.url);
    await aws('tag-stream', '--stream-name', 'cli-stream', '--tags', 'team=video,env=ci');
    expect(((await aws('list-tags-for-stream', '--stream-name', 'cli-stream')) as { Tags: Record<string, string> }).Tags).toEqual({ team: 'video', env: 'ci' });
    await aws('untag-stream', '--stream-name', 'cli-stream', '--tag-key-list', 'env');
    expect(((await aws('list-tags-for-stream', '--stream-name', 'cli-stream')) as { Tags: Record<string, string> }).Tags).toEqual({ team: 'video' });
    await aws('delete-stream', '--stream-arn', created.StreamARN);
    await expect(run('aws', ['kinesisvideo', 'list-streams', '--endpoint-url', t.kvs.url], { env: { ...env, AWS_SECRET_ACCESS_KEY: 'wrong' } })).rejects.toMatchObject({
      stderr: expect.stringContaining('InvalidSignatureException'),
    });
    await expect(run('aws', ['kinesisvideo', 'describe-stream', '--stream-name', 'never', '--endpoint-url', t.kvs.url], { env })).rejects.toMatchObject({
      stderr: expect.stringContaining('ResourceNotFoundException'),
    });
  });

  test('reads media back with aws kinesis-video-media get-media and kinesis-video-archived-media list-fragments', async () => {
    t = await startTestServer();
    await createStream(t.kvs, 'cli-media', 1);
    await putMediaAll(t.kvs.url, mkvStream(), { streamName: 'cli-media' });
    const env = { ...process.env, AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_DEFAULT_REGION: REGION, AWS_EC2_METADATA_DISABLED: 'true', AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };
    const out = join(t.dir, 'cli-get-media.mkv');
    const gm = await run('aws', ['kinesis-video-media', 'get-media', '--endpoint-url', t.kvs.url, '--stream-name', 'cli-media', '--start-selector', 'StartSelectorType=EARLIEST', out], { env });
    expect(JSON.parse(gm.stdout)).toMatchObject({ ContentType: 'video/webm' });
    expect((await readFile(out)).includes('AWS_KINESISVIDEO_FRAGMENT_NUMBER')).toBe(true);
    const lf = await run('aws', ['kinesis-video-archived-media', 'list-fragments', '--endpoint-url', t.kvs.url, '--stream-name', 'cli-media', '--output', 'json'], { env });
    expect((JSON.parse(lf.stdout) as { Fragments: unknown[] }).Fragments).toHaveLength(3);
  });
});
