/**
 * Control plane: DescribeStream / CreateStream / GetDataEndpoint through
 * `@aws-sdk/client-kinesis-video`, with explicit timeouts and every failure mapped to a
 * KvsError (errors.ts).
 */
import {
  CreateStreamCommand,
  DescribeStreamCommand,
  GetDataEndpointCommand,
  KinesisVideoClient,
} from '@aws-sdk/client-kinesis-video';
// A dependency of the SDK; listed here so the connection/completion timeouts are ours.
import { NodeHttpHandler } from '@smithy/node-http-handler';
import type { AwsCredentialIdentityProvider } from '@smithy/types';
import { KvsError, isKvsError, sdkError, type LogFn } from './errors.js';
import { validateEndpointUrl } from './endpoint.js';

export interface ControlPlaneClientOptions {
  region: string;
  /** From `resolveControlPlaneEndpoint()`. */
  endpoint: string;
  credentials: AwsCredentialIdentityProvider;
  /** Appended to the SDK user agent (`user-agent` property). */
  userAgent?: string;
  /** TCP/TLS connect timeout, ms (`connection-timeout`, default 5000). */
  connectTimeoutMs?: number;
  /** Whole-request timeout, ms (`completion-timeout`, default 10000). */
  requestTimeoutMs?: number;
  /** SDK attempts per call, including the first (default 3; SDK standard retry strategy). */
  maxAttempts?: number;
}

export const CONTROL_PLANE_CONNECT_TIMEOUT_MS = 5_000;
export const CONTROL_PLANE_REQUEST_TIMEOUT_MS = 10_000;
export const CONTROL_PLANE_MAX_ATTEMPTS = 3;

/** Build the control-plane client. Call `client.destroy()` when the stream stops. */
export function createControlPlaneClient(opts: ControlPlaneClientOptions): KinesisVideoClient {
  return new KinesisVideoClient({
    region: opts.region,
    endpoint: opts.endpoint,
    credentials: opts.credentials,
    ...(opts.userAgent ? { customUserAgent: opts.userAgent } : {}),
    maxAttempts: opts.maxAttempts ?? CONTROL_PLANE_MAX_ATTEMPTS,
    requestHandler: new NodeHttpHandler({
      connectionTimeout: opts.connectTimeoutMs || CONTROL_PLANE_CONNECT_TIMEOUT_MS,
      requestTimeout: opts.requestTimeoutMs || CONTROL_PLANE_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    }),
  });
}

export type StreamStatus = 'CREATING' | 'ACTIVE' | 'UPDATING' | 'DELETING';

export interface PrepareStreamOptions {
  client: KinesisVideoClient;
  streamName: string;
  /** `allow-create-stream`. */
  allowCreate: boolean;
  /** `retention-period`, hours (0 = no persistence). */
  retentionHours: number;
  /** e.g. `video/h264` or `video/h264,audio/aac`. */
  mediaType?: string;
  /** `stream-tags` (at most 50). */
  tags?: Record<string, string>;
  /** KMS key for a created stream (default: the KVS-managed key). */
  kmsKeyId?: string;
  signal?: AbortSignal;
  log?: LogFn;
  /** Wait for ACTIVE at most this long, ms (default 30000, the PIC's stream-ready timeout). */
  readyTimeoutMs?: number;
  /** First poll delay, ms (default 250); doubles up to `maxPollIntervalMs` (default 2000). */
  pollIntervalMs?: number;
  maxPollIntervalMs?: number;
  /** Clock for the deadline (tests). */
  now?: () => number;
}

export interface PreparedStream {
  streamArn: string;
  status: StreamStatus;
  /** true when this call created the stream. */
  created: boolean;
  /** DataRetentionInHours as described (0: no PERSISTED acks will come). */
  retentionHours?: number;
}

export const STREAM_READY_TIMEOUT_MS = 30_000;

/**
 * Make sure the stream exists and is ACTIVE: DescribeStream; if it does not exist and
 * `allowCreate`, CreateStream (retention, media type, tags) and poll DescribeStream with
 * backoff until ACTIVE (bounded by `readyTimeoutMs`, abortable by `signal`).
 *
 * Errors (rejections are KvsError): `STREAM_NOT_FOUND` when it does not exist and creation is
 * not allowed; `STREAM_DELETING` when it is being deleted; `STREAM_NOT_READY` (retriable) when
 * it does not become ACTIVE in time; `ABORTED` when `signal` fires; SDK errors mapped by
 * `sdkError` (auth / permission / invalid argument: not retriable; throttling, 5xx, network:
 * retriable).
 */
export async function prepareStream(opts: PrepareStreamOptions): Promise<PreparedStream> {
  const { client, streamName, signal } = opts;
  const log = opts.log ?? (() => {});
  const now = opts.now ?? Date.now;
  const deadline = now() + (opts.readyTimeoutMs ?? STREAM_READY_TIMEOUT_MS);
  let delay = opts.pollIntervalMs ?? 250;
  const maxDelay = opts.maxPollIntervalMs ?? 2_000;
  let created = false;

  const describe = async (): Promise<{ arn: string; status: StreamStatus; retentionHours?: number } | 'not-found'> => {
    try {
      const out = await client.send(new DescribeStreamCommand({ StreamName: streamName }), { abortSignal: signal });
      const info = out.StreamInfo;
      if (!info?.StreamARN || !info.Status) {
        throw new KvsError({
          code: 'INVALID_DESCRIBE_RESPONSE', retriable: true,
          message: `DescribeStream for "${streamName}" returned no StreamARN/Status.`,
        });
      }
      return { arn: info.StreamARN, status: info.Status as StreamStatus, retentionHours: info.DataRetentionInHours };
    } catch (err) {
      if (isNotFound(err)) return 'not-found';
      throw toKvs(err, 'DescribeStream', streamName, signal);
    }
  };

  let current = await describe();
  if (current === 'not-found') {
    if (!opts.allowCreate) {
      throw new KvsError({
        code: 'STREAM_NOT_FOUND', retriable: false, httpStatus: 404, awsErrorType: 'ResourceNotFoundException',
        message: `Stream "${streamName}" does not exist: create it (aws kinesisvideo create-stream --stream-name ${streamName} --data-retention-in-hours 2) or set allow-create-stream=true.`,
      });
    }
    log('info', `stream "${streamName}" not found; creating it (retention ${opts.retentionHours} h${opts.mediaType ? `, ${opts.mediaType}` : ''})`);
    try {
      await client.send(
        new CreateStreamCommand({
          StreamName: streamName,
          DataRetentionInHours: opts.retentionHours,
          ...(opts.mediaType ? { MediaType: opts.mediaType } : {}),
          ...(opts.tags && Object.keys(opts.tags).length > 0 ? { Tags: opts.tags } : {}),
          ...(opts.kmsKeyId ? { KmsKeyId: opts.kmsKeyId } : {}),
        }),
        { abortSignal: signal },
      );
      created = true;
    } catch (err) {
      // Someone else created it between our describe and create: use theirs.
      if (!(isErrName(err, 'ResourceInUseException'))) throw toKvs(err, 'CreateStream', streamName, signal);
      log('debug', `CreateStream "${streamName}": already exists (ResourceInUseException); describing again`);
    }
    current = await describe();
  }

  for (;;) {
    if (current === 'not-found') {
      // Eventual consistency right after CreateStream: keep polling.
      log('debug', `stream "${streamName}" not visible yet after CreateStream`);
    } else if (current.status === 'ACTIVE') {
      return { streamArn: current.arn, status: current.status, created, retentionHours: current.retentionHours };
    } else if (current.status === 'DELETING') {
      throw new KvsError({
        code: 'STREAM_DELETING', retriable: false,
        message: `Stream "${streamName}" is being deleted: wait until the deletion finishes and restart (it is re-created when allow-create-stream=true), or use another stream-name.`,
      });
    } else {
      log('debug', `stream "${streamName}" is ${current.status}; waiting for ACTIVE`);
    }
    if (now() + delay > deadline) {
      throw new KvsError({
        code: 'STREAM_NOT_READY', retriable: true,
        message: `Stream "${streamName}" did not become ACTIVE within ${opts.readyTimeoutMs ?? STREAM_READY_TIMEOUT_MS} ms (last status: ${current === 'not-found' ? 'not found' : current.status}).`,
      });
    }
    await sleep(delay, signal);
    delay = Math.min(delay * 2, maxDelay);
    current = await describe();
  }
}

export interface GetPutMediaEndpointOptions {
  client: KinesisVideoClient;
  streamName: string;
  signal?: AbortSignal;
}

/**
 * GetDataEndpoint with APIName PUT_MEDIA. Returns the endpoint URL without a trailing slash;
 * PutMedia goes to `<endpoint>/putMedia` ("the returned endpoint does not have the API name
 * appended", guide L7714). The service caches it for ~45 min; re-fetch on InvalidEndpoint.
 */
export async function getPutMediaEndpoint(opts: GetPutMediaEndpointOptions): Promise<string> {
  let out;
  try {
    out = await opts.client.send(
      new GetDataEndpointCommand({ StreamName: opts.streamName, APIName: 'PUT_MEDIA' }),
      { abortSignal: opts.signal },
    );
  } catch (err) {
    throw toKvs(err, 'GetDataEndpoint', opts.streamName, opts.signal);
  }
  if (!out.DataEndpoint) {
    throw new KvsError({
      code: 'INVALID_DATA_ENDPOINT', retriable: true,
      message: `GetDataEndpoint for "${opts.streamName}" returned no DataEndpoint.`,
    });
  }
  try {
    return validateEndpointUrl(out.DataEndpoint, 'GetDataEndpoint DataEndpoint');
  } catch (err) {
    throw new KvsError({ ...(err as KvsError).toJSON(), code: 'INVALID_DATA_ENDPOINT', retriable: false });
  }
}

function isErrName(err: unknown, name: string): boolean {
  return typeof err === 'object' && err !== null && (err as { name?: unknown }).name === name;
}

function isNotFound(err: unknown): boolean {
  return isErrName(err, 'ResourceNotFoundException');
}

function toKvs(err: unknown, op: string, streamName: string, signal?: AbortSignal): KvsError {
  if (isKvsError(err)) return err;
  if (signal?.aborted) return new KvsError({ code: 'ABORTED', retriable: false, message: `${op} was cancelled.` });
  return sdkError(err, op, streamName);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(new KvsError({ code: 'ABORTED', retriable: false, message: 'Waiting for the stream to become ACTIVE was cancelled.' }));
      return;
    }
    const onAbort = (): void => {
      clearTimeout(t);
      reject(new KvsError({ code: 'ABORTED', retriable: false, message: 'Waiting for the stream to become ACTIVE was cancelled.' }));
    };
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
