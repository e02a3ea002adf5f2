/**
 * Control-plane APIs, JSON over HTTP as in the API reference (POST /createStream, ...):
 * request validation with the documented constraints, the documented exceptions, and the
 * CREATING → ACTIVE / DELETING lifecycle.
 */
import { randomBytes } from 'node:crypto';
import { apiError, type ApiError } from './errors.js';
import { findStreamByArn, STREAM_ARN_PATTERN, STREAM_NAME_PATTERN, streamArn, type LocalContext, type StreamState } from './context.js';
import type { StreamRecord } from './store.js';

export type Json = Record<string, unknown>;
export type ControlResult = { body?: unknown };

/** Account-level request limits (Control Plane API limits table). */
const ACCOUNT_TPS: Record<string, number> = {
  CreateStream: 50,
  DescribeStream: 300,
  UpdateStream: 50,
  ListStreams: 50,
  DeleteStream: 50,
  GetDataEndpoint: 300,
  UpdateDataRetention: 50,
  TagStream: 50,
  UntagStream: 50,
  ListTagsForStream: 50,
};

const MAX_STREAMS_PER_ACCOUNT = 10_000;
const MAX_TAGS = 50;
const MAX_RETENTION_HOURS = 87_600;
const DEVICE_NAME_PATTERN = /^[a-zA-Z0-9_.-]+$/;
const VERSION_PATTERN = /^[a-zA-Z0-9]+$/;
/** The guide prints this pattern in several garbled forms; this is the intended class (digest §0). */
const MEDIA_TYPE_PATTERN = /^[\w\-.+]+\/[\w\-.+]+(,[\w\-.+]+\/[\w\-.+]+)*$/;
const TAG_PATTERN = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$/u;
const NEXT_TOKEN_PATTERN = /^[a-zA-Z0-9+/=]*$/;

export const API_NAMES = [
  'PUT_MEDIA',
  'GET_MEDIA',
  'LIST_FRAGMENTS',
  'GET_MEDIA_FOR_FRAGMENT_LIST',
  'GET_HLS_STREAMING_SESSION_URL',
  'GET_DASH_STREAMING_SESSION_URL',
  'GET_CLIP',
  'GET_IMAGES',
] as const;

export const CONTROL_ROUTES: Record<string, string> = {
  '/createStream': 'CreateStream',
  '/describeStream': 'DescribeStream',
  '/getDataEndpoint': 'GetDataEndpoint',
  '/listStreams': 'ListStreams',
  '/deleteStream': 'DeleteStream',
  '/updateDataRetention': 'UpdateDataRetention',
  '/updateStream': 'UpdateStream',
  '/tagStream': 'TagStream',
  '/untagStream': 'UntagStream',
  '/listTagsForStream': 'ListTagsForStream',
};

function invalid(message: string): ApiError {
  return apiError('InvalidArgumentException', message);
}

function optionalString(body: Json, field: string, min: number, max: number, pattern?: RegExp): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw invalid(`${field} must be a string`);
  if (v.length < min || v.length > max) throw invalid(`${field} must have length ${min}–${max}, got ${v.length}`);
  if (pattern && !pattern.test(v)) throw invalid(`${field} '${v}' does not match the pattern ${pattern.source}`);
  return v;
}

function optionalInteger(body: Json, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) throw invalid(`${field} must be an integer in ${min}–${max}`);
  return v;
}

function validateStreamName(name: string): void {
  if (name.length < 1 || name.length > 256 || !STREAM_NAME_PATTERN.test(name)) {
    throw invalid(`StreamName '${name}' must have length 1–256 and match [a-zA-Z0-9_.-]+`);
  }
  // Valid per the pattern, but not usable as a directory name on disk.
  if (name === '.' || name === '..') throw invalid(`StreamName '${name}' is not supported by the local endpoint`);
}

function validateTags(tags: unknown, field: string): Record<string, string> {
  if (typeof tags !== 'object' || tags === null || Array.isArray(tags)) throw invalid(`${field} must be a map of strings`);
  const out: Record<string, string> = {};
  const entries = Object.entries(tags as Record<string, unknown>);
  if (entries.length > MAX_TAGS) throw apiError('TagsPerResourceExceededLimitException', `A Kinesis video stream can support up to ${MAX_TAGS} tags.`);
  for (const [key, value] of entries) {
    if (key.length < 1 || key.length > 128 || !TAG_PATTERN.test(key)) throw invalid(`Tag key '${key}' must have length 1–128 and use letters, numbers, spaces and _ . : / = + - @`);
    if (typeof value !== 'string' || value.length > 256 || !TAG_PATTERN.test(value)) throw invalid(`Tag value for '${key}' must be a string of length 0–256 using letters, numbers, spaces and _ . : / = + - @`);
    out[key] = value;
  }
  return out;
}

function newVersion(): string {
  return randomBytes(10).toString('hex');
}

/** Finds the stream named by StreamName and/or StreamARN (one required unless `optional`). */
export function resolveStream(ctx: LocalContext, body: Json, opts: { arnRequired?: boolean; arnFormatError?: 'InvalidResourceFormatException' } = {}): StreamState {
  const name = opts.arnRequired ? undefined : optionalString(body, 'StreamName', 1, 256);
  const arnValue = body.StreamARN;
  let arn: string | undefined;
  if (arnValue !== undefined && arnValue !== null) {
    if (typeof arnValue !== 'string' || arnValue.length < 1 || arnValue.length > 1024 || !STREAM_ARN_PATTERN.test(arnValue)) {
      const message = `StreamARN '${String(arnValue)}' is not a valid stream ARN`;
      throw opts.arnFormatError ? apiError(opts.arnFormatError, message) : invalid(message);
    }
    arn = arnValue;
  }
  if (opts.arnRequired && !arn) throw invalid('StreamARN is required');
  if (!name && !arn) throw invalid('Either StreamName or StreamARN must be specified');
  if (name !== undefined) validateStreamName(name);
  const byName = name !== undefined ? ctx.streams.get(name) : undefined;
  const byArn = arn !== undefined ? findStreamByArn(ctx, arn) : undefined;
  if (name !== undefined && arn !== undefined && byName !== byArn) {
    throw invalid('StreamName and StreamARN do not refer to the same stream');
  }
  const stream = byName ?? byArn;
  if (!stream) throw apiError('ResourceNotFoundException', "Amazon Kinesis Video Streams can't find the stream that you specified.");
  ctx.refreshStatus(stream);
  if (!ctx.streams.has(stream.record.streamName)) {
    throw apiError('ResourceNotFoundException', "Amazon Kinesis Video Streams can't find the stream that you specified.");
  }
  return stream;
}

/** The StreamInfo object (StreamInfo data type, L12524–12632); CreationTime in epoch seconds. */
export function streamInfo(ctx: LocalContext, r: StreamRecord): Json {
  const info: Json = {
    CreationTime: r.creationTimeMs / 1000,
    DataRetentionInHours: r.dataRetentionInHours,
    KmsKeyId: r.kmsKeyId ?? `arn:aws:kms:${ctx.options.region}:${ctx.options.accountId}:alias/aws/kinesisvideo`,
    Status: r.status,
    StreamARN: r.streamArn,
    StreamName: r.streamName,
    Version: r.version,
  };
  if (r.deviceName !== undefined) info.DeviceName = r.deviceName;
  if (r.mediaType !== undefined) info.MediaType = r.mediaType;
  return info;
}

function requireActive(stream: StreamState): void {
  if (stream.record.status !== 'ACTIVE') {
    throw apiError(
      'ResourceInUseException',
      'The resource is currently not available for this operation. New resources cannot be created with the same name as existing resources. Also, resources cannot be updated or deleted unless they are in an ACTIVE state.',
    );
  }
}

function checkVersion(stream: StreamState, version: string | undefined): void {
  if (version !== undefined && version !== stream.record.version) {
    throw apiError('VersionMismatchException', 'The stream version that you specified is not the latest version. To get the latest version, use the DescribeStream API.');
  }
}

function throttled(): ApiError {
  return apiError('ClientLimitExceededException', 'Kinesis Video Streams has throttled the request because you have exceeded the limit of allowed client calls. Try making the call later.');
}

/** Account-level and stream-level TPS limits. */
export function checkControlLimits(ctx: LocalContext, api: string, streamName: string | undefined): void {
  const now = ctx.now();
  const accountLimit = ACCOUNT_TPS[api];
  if (accountLimit !== undefined && !ctx.limiter.tryAcquire(`account:${api}`, accountLimit, now)) throw throttled();
  if (streamName !== undefined && api !== 'CreateStream' && api !== 'ListStreams') {
    if (!ctx.limiter.tryAcquire(`stream:${api}:${streamName}`, ctx.options.limits.controlPlaneStreamTps, now)) throw throttled();
  }
}

/** The stream name a control-plane body refers to (for limits and fault matching), if any. */
export function streamNameOf(ctx: LocalContext, body: Json): string | undefined {
  if (typeof body.StreamName === 'string') return body.StreamName;
  if (typeof body.StreamARN === 'string') return findStreamByArn(ctx, body.StreamARN)?.record.streamName ?? /stream\/([^/]+)\//.exec(body.StreamARN)?.[1];
  return undefined;
}

export async function handleControl(ctx: LocalContext, api: string, body: Json): Promise<ControlResult> {
  switch (api) {
    case 'CreateStream':
      return createStream(ctx, body);
    case 'DescribeStream':
      return { body: { StreamInfo: streamInfo(ctx, resolveStream(ctx, body).record) } };
    case 'GetDataEndpoint': {
      const apiName = body.APIName;
      if (typeof apiName !== 'string' || !(API_NAMES as readonly string[]).includes(apiName)) {
        throw invalid(`APIName must be one of ${API_NAMES.join(' | ')}`);
      }
      resolveStream(ctx, body);
      return { body: { DataEndpoint: ctx.options.publicUrl ?? ctx.url } };
    }
    case 'ListStreams':
      return listStreams(ctx, body);
    case 'DeleteStream': {
      const stream = resolveStream(ctx, body, { arnRequired: true });
      const version = optionalString(body, 'CurrentVersion', 1, 64, VERSION_PATTERN);
      requireActive(stream);
      checkVersion(stream, version);
      ctx.deleteStream(stream);
      return {};
    }
    case 'UpdateDataRetention':
      return updateDataRetention(ctx, body);
    case 'UpdateStream': {
      const stream = resolveStream(ctx, body);
      const version = optionalString(body, 'CurrentVersion', 1, 64, VERSION_PATTERN);
      if (version === undefined) throw invalid('CurrentVersion is required');
      const deviceName = optionalString(body, 'DeviceName', 1, 128, DEVICE_NAME_PATTERN);
      const mediaType = optionalString(body, 'MediaType', 1, 128, MEDIA_TYPE_PATTERN);
      requireActive(stream);
      checkVersion(stream, version);
      if (deviceName !== undefined) stream.record.deviceName = deviceName;
      if (mediaType !== undefined) stream.record.mediaType = mediaType;
      stream.record.version = newVersion();
      await ctx.saveStream(stream);
      return {};
    }
    case 'TagStream': {
      const stream = resolveStream(ctx, body, { arnFormatError: 'InvalidResourceFormatException' });
      if (body.Tags === undefined) throw invalid('Tags is required');
      const tags = validateTags(body.Tags, 'Tags');
      const merged = { ...stream.record.tags, ...tags };
      if (Object.keys(merged).length > MAX_TAGS) throw apiError('TagsPerResourceExceededLimitException', `A Kinesis video stream can support up to ${MAX_TAGS} tags.`);
      stream.record.tags = merged;
      await ctx.saveStream(stream);
      return {};
    }
    case 'UntagStream': {
      const stream = resolveStream(ctx, body, { arnFormatError: 'InvalidResourceFormatException' });
      const keys = body.TagKeyList;
      if (!Array.isArray(keys) || keys.length < 1 || keys.length > MAX_TAGS) throw invalid('TagKeyList must be a list of 1–50 tag keys');
      const tags = { ...stream.record.tags };
      for (const key of keys) {
        if (typeof key !== 'string' || key.length < 1 || key.length > 128) throw invalid('Each tag key must be a string of length 1–128');
        delete tags[key];
      }
      stream.record.tags = tags;
      await ctx.saveStream(stream);
      return {};
    }
    case 'ListTagsForStream': {
      const token = optionalString(body, 'NextToken', 0, 512, NEXT_TOKEN_PATTERN);
      void token;
      const stream = resolveStream(ctx, body, { arnFormatError: 'InvalidResourceFormatException' });
      return { body: { Tags: { ...stream.record.tags } } };
    }
    default:
      throw apiError('UnknownOperationException', `Unknown operation ${api}`);
  }
}

async function createStream(ctx: LocalContext, body: Json): Promise<ControlResult> {
  const name = optionalString(body, 'StreamName', 1, 256);
  if (name === undefined) throw invalid('StreamName is required');
  validateStreamName(name);
  const retention = optionalInteger(body, 'DataRetentionInHours', 0, MAX_RETENTION_HOURS) ?? 0;
  const deviceName = optionalString(body, 'DeviceName', 1, 128, DEVICE_NAME_PATTERN);
  const kmsKeyId = optionalString(body, 'KmsKeyId', 1, 2048);
  const mediaType = optionalString(body, 'MediaType', 1, 128, MEDIA_TYPE_PATTERN);
  const tags = body.Tags === undefined || body.Tags === null ? {} : validateTags(body.Tags, 'Tags');
  const existing = ctx.streams.get(name);
  if (existing) ctx.refreshStatus(existing);
  if (ctx.streams.has(name)) {
    throw apiError('ResourceInUseException', `The stream ${name} already exists. New resources cannot be created with the same name as existing resources.`);
  }
  if (ctx.streams.size >= MAX_STREAMS_PER_ACCOUNT) throw apiError('AccountStreamLimitExceededException', 'The number of streams created for the account is too high.');
  const now = ctx.now();
  const delay = ctx.options.activationDelayMs;
  const record: StreamRecord = {
    streamName: name,
    streamArn: streamArn(ctx, name, now),
    creationTimeMs: now,
    status: delay > 0 ? 'CREATING' : 'ACTIVE',
    dataRetentionInHours: retention,
    version: newVersion(),
    tags,
    ...(deviceName !== undefined ? { deviceName } : {}),
    ...(kmsKeyId !== undefined ? { kmsKeyId } : {}),
    ...(mediaType !== undefined ? { mediaType } : {}),
    ...(delay > 0 ? { transitionAtMs: now + delay } : {}),
  };
  const stream = ctx.createStreamState(record);
  await ctx.saveStream(stream);
  ctx.log('info', 'stream-created', { stream: name, status: record.status, retentionHours: retention });
  return { body: { StreamARN: record.streamArn } };
}

function listStreams(ctx: LocalContext, body: Json): ControlResult {
  const max = optionalInteger(body, 'MaxResults', 1, 10_000) ?? 10_000;
  const token = optionalString(body, 'NextToken', 0, 512, NEXT_TOKEN_PATTERN);
  let after = '';
  if (token) {
    try {
      after = (JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { after: string }).after;
    } catch {
      throw invalid('NextToken is not valid');
    }
  }
  let prefix = '';
  const cond = body.StreamNameCondition;
  if (cond !== undefined && cond !== null) {
    if (typeof cond !== 'object') throw invalid('StreamNameCondition must be an object');
    const c = cond as Json;
    if (c.ComparisonOperator !== undefined && c.ComparisonOperator !== 'BEGINS_WITH') throw invalid('ComparisonOperator must be BEGINS_WITH');
    prefix = optionalString(c, 'ComparisonValue', 1, 256, STREAM_NAME_PATTERN) ?? '';
  }
  const streams = [...ctx.streams.values()];
  for (const s of streams) ctx.refreshStatus(s);
  const names = [...ctx.streams.keys()].filter((n) => n.startsWith(prefix) && n > after).sort();
  const page = names.slice(0, max);
  const result: Json = { StreamInfoList: page.map((n) => streamInfo(ctx, ctx.streams.get(n)!.record)) };
  if (names.length > page.length) result.NextToken = Buffer.from(JSON.stringify({ after: page[page.length - 1] })).toString('base64');
  return { body: result };
}

async function updateDataRetention(ctx: LocalContext, body: Json): Promise<ControlResult> {
  const stream = resolveStream(ctx, body);
  const version = optionalString(body, 'CurrentVersion', 1, 64, VERSION_PATTERN);
  if (version === undefined) throw invalid('CurrentVersion is required');
  const change = optionalInteger(body, 'DataRetentionChangeInHours', 1, MAX_RETENTION_HOURS);
  if (change === undefined) throw invalid('DataRetentionChangeInHours is required (an integer ≥ 1)');
  const op = body.Operation;
  if (op !== 'INCREASE_DATA_RETENTION' && op !== 'DECREASE_DATA_RETENTION') throw invalid('Operation must be INCREASE_DATA_RETENTION or DECREASE_DATA_RETENTION');
  requireActive(stream);
  checkVersion(stream, version);
  // The guide describes the field both as a change ("by the value that you specify") and as a
  // replacement; its name, the Operation field and the real service treat it as a change.
  const next = op === 'INCREASE_DATA_RETENTION' ? stream.record.dataRetentionInHours + change : stream.record.dataRetentionInHours - change;
  if (next < 0) throw invalid(`Cannot decrease the retention of ${stream.record.dataRetentionInHours} hours by ${change} hours`);
  if (next > MAX_RETENTION_HOURS) throw invalid(`The retention period cannot exceed ${MAX_RETENTION_HOURS} hours`);
  stream.record.dataRetentionInHours = next;
  stream.record.version = newVersion();
  await ctx.saveStream(stream);
  return {};
}
