/**
 * KVS error values: one table keyed by PutMedia ACK `ErrorId`, plus the mapping of HTTP
 * responses, AWS SDK errors and network errors into the same shape.
 *
 * Callers branch on `code` (stable, UPPER_SNAKE), never on `message` (STYLE rule 5).
 * `KvsError` is a class only so it can be thrown/rejected with a stack; its fields are the
 * typed value the rest of the worker reads, and `toJSON()` gives the plain record that
 * crosses to the element (`stream-error` carries `code` and `kvsStatus`).
 *
 * Secrets never appear here: service messages are passed through `sanitizeMessage()`, which
 * cuts AWS's "canonical string" echo (it can contain x-amz-security-token) and masks
 * access key ids.
 */

export type LogLevel = 'error' | 'warn' | 'info' | 'debug' | 'trace';
export type LogFn = (level: LogLevel, msg: string) => void;

export interface KvsErrorInit {
  /** Stable identifier, e.g. `MAX_FRAGMENT_DURATION_REACHED`, `NOT_AUTHORIZED`, `NETWORK_ERROR`. */
  code: string;
  /** Human text naming the cause and the fix. Never contains secrets. */
  message: string;
  /** true: the same request / the same bytes may succeed when tried again later. */
  retriable: boolean;
  /** PutMedia ACK ErrorId (4000–4011, 4500–4506, 5000–5001) when the error came from an ACK. */
  kvsStatus?: number;
  /** HTTP status when the error came from an HTTP response. */
  httpStatus?: number;
  /** `x-amzn-ErrorType` / `__type` / SDK `name`, e.g. `NotAuthorizedException`. */
  awsErrorType?: string;
  /** `x-amzn-RequestId` / `x-amz-RequestId`, for AWS support. */
  requestId?: string;
  /** Fetching fresh credentials (and re-signing) may fix it: expired token, 401. */
  refreshCredentials?: boolean;
  /** Call GetDataEndpoint again before the next PutMedia (InvalidEndpointException). */
  refreshEndpoint?: boolean;
  /**
   * Only for ACK errors: the stream can continue on a new PutMedia session, restarting at the
   * next fragment (the producer SDK's IS_RECOVERABLE_ERROR). `retriable` is stricter: it says
   * resending the *same* fragment may succeed.
   */
  recoverable?: boolean;
  /** Low-level detail for debug logs (sanitized). */
  detail?: string;
}

export class KvsError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly kvsStatus?: number;
  readonly httpStatus?: number;
  readonly awsErrorType?: string;
  readonly requestId?: string;
  readonly refreshCredentials?: boolean;
  readonly refreshEndpoint?: boolean;
  readonly recoverable?: boolean;
  readonly detail?: string;

  constructor(init: KvsErrorInit) {
    super(init.message);
    this.name = 'KvsError';
    this.code = init.code;
    this.retriable = init.retriable;
    if (init.kvsStatus !== undefined) this.kvsStatus = init.kvsStatus;
    if (init.httpStatus !== undefined) this.httpStatus = init.httpStatus;
    if (init.awsErrorType !== undefined) this.awsErrorType = init.awsErrorType;
    if (init.requestId !== undefined) this.requestId = init.requestId;
    if (init.refreshCredentials !== undefined) this.refreshCredentials = init.refreshCredentials;
    if (init.refreshEndpoint !== undefined) this.refreshEndpoint = init.refreshEndpoint;
    if (init.recoverable !== undefined) this.recoverable = init.recoverable;
    if (init.detail !== undefined) this.detail = init.detail;
  }

  toJSON(): KvsErrorInit {
    const o: KvsErrorInit = { code: this.code, message: this.message, retriable: this.retriable };
    if (this.kvsStatus !== undefined) o.kvsStatus = this.kvsStatus;
    if (this.httpStatus !== undefined) o.httpStatus = this.httpStatus;
    if (this.awsErrorType !== undefined) o.awsErrorType = this.awsErrorType;
    if (this.requestId !== undefined) o.requestId = this.requestId;
    if (this.refreshCredentials !== undefined) o.refreshCredentials = this.refreshCredentials;
    if (this.refreshEndpoint !== undefined) o.refreshEndpoint = this.refreshEndpoint;
    if (this.recoverable !== undefined) o.recoverable = this.recoverable;
    if (this.detail !== undefined) o.detail = this.detail;
    return o;
  }
}

export function isKvsError(e: unknown): e is KvsError {
  return e instanceof KvsError;
}

export function kvsError(init: KvsErrorInit): KvsError {
  return new KvsError(init);
}

// ---------------------------------------------------------------------------------------------
// ACK ErrorId table (PutMedia reference, kvs-developer-guide.txt ~L10150–10175)
// ---------------------------------------------------------------------------------------------

export interface AckErrorSpec {
  errorId: number;
  code: string;
  /** The guide's text for the ErrorId. */
  guideMessage: string;
  /** What the user or the worker can do about it. */
  fix: string;
  retriable: boolean;
  recoverable: boolean;
}

/**
 * Retriable / recoverable choices:
 * - retriable (resending the same bytes on a new session can succeed): 4000 STREAM_READ_ERROR
 *   (backend read hiccup; the SDK's note: "auto re-stream usually fixes it"), 4003
 *   MAX_CONNECTION_DURATION_REACHED (not a fault: sessions are capped, the producer SDK rotates at
 *   40 min and treats it as recoverable, research §4), 4503 KMS_KEY_UNAVAILABLE (KMS
 *   unavailability is transient by nature), 5000 INTERNAL_ERROR, 5001 ARCHIVAL_ERROR (the SDK
 *   "retries it by default", guide digest §5.6).
 * - recoverable but not retriable (the fragment itself is bad; the same bytes fail again, but the
 *   stream can go on from the next fragment on a new session, as PIC's IS_RECOVERABLE_ERROR does):
 *   4001, 4002, 4004, 4006, 4009, 4011.
 * - fatal (configuration or environment must change): 4005, 4007 (clock), 4008 (stream deleted),
 *   4010 (track layout mismatch: a writer bug that repeats on every fragment), KMS 4500–4506
 *   except 4503.
 * Unknown ErrorIds are retriable and recoverable, as PIC treats STATUS_ACK_ERR_UNKNOWN_ACK_ERROR.
 */
export const ACK_ERRORS: ReadonlyMap<number, AckErrorSpec> = new Map(
  (
    [
      [4000, 'STREAM_READ_ERROR', 'Error reading the data stream.',
        'Transient service-side read error; the session is restarted and the data resent.', true, true],
      [4001, 'MAX_FRAGMENT_SIZE_REACHED', 'Fragment size is greater than maximum limit, 50 MB, allowed.',
        'Lower the bitrate or make key frames more frequent (shorter GOP) so each fragment stays under 50 MB.',
        false, true],
      [4002, 'MAX_FRAGMENT_DURATION_REACHED', 'Fragment duration is greater than maximum limit, 10 seconds, allowed.',
        'Make the encoder emit a key frame at least every 10 s (e.g. x264enc key-int-max), or lower fragment-duration.',
        false, true],
      [4003, 'MAX_CONNECTION_DURATION_REACHED', 'Connection duration is greater than maximum allowed threshold.',
        'The service closes long PutMedia sessions; a new session is opened and streaming continues.', true, true],
      [4004, 'FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS',
        'Fragment timecode is less than the timecode previous time code (within a PutMedia call, you cannot send fragments out of order).',
        'Timestamps went backwards (pipeline restart, B-frames, unstable source); check upstream timestamps.',
        false, true],
      [4005, 'MORE_THAN_ALLOWED_TRACKS_FOUND', 'More than one track is found in MKV. (deprecated)',
        'Send at most the tracks the stream supports (one video, one audio).', false, false],
      [4006, 'INVALID_MKV_DATA', 'Failed to parse the input stream as valid MKV format.',
        'The MKV stream was corrupt (often a partially sent frame after dropping); the session restarts at the next key frame.',
        false, true],
      [4007, 'INVALID_PRODUCER_TIMESTAMP', 'Invalid producer timestamp.',
        'The producer clock is far off: fix the system clock (NTP), or check absolute-fragment-times / file-start-time.',
        false, false],
      [4008, 'STREAM_NOT_ACTIVE', 'Stream no longer exists (deleted).',
        'The stream was deleted or is not ACTIVE; recreate it (allow-create-stream=true) and restart the pipeline.',
        false, false],
      [4009, 'FRAGMENT_METADATA_LIMIT_REACHED', 'Fragment metadata limit reached.',
        'Send fewer or shorter fragment metadata tags (at most 10 per fragment, name < 128, value < 256 chars).',
        false, true],
      [4010, 'TRACK_NUMBER_MISMATCH', 'The track number in an MKV frame did not match the tracks in the MKV header.',
        'Frames reference a track the MKV header does not declare; check the pad/track configuration.', false, false],
      [4011, 'FRAMES_MISSING_FOR_TRACK',
        'The fragment did not contain any frames for at least one of the tracks in the MKV header.',
        'Every track must have a frame in every fragment: check that audio and video both flow.', false, true],
      [4500, 'KMS_KEY_ACCESS_DENIED', "Access to the stream's specified KMS key is denied.",
        'Grant the producer kms:GenerateDataKey on the stream\'s KMS key.', false, false],
      [4501, 'KMS_KEY_DISABLED', "The stream's specified KMS key is disabled.",
        'Enable the KMS key or update the stream to use another key.', false, false],
      [4502, 'KMS_KEY_VALIDATION_ERROR', "The stream's specified KMS key failed validation.",
        'Check the KMS key configured on the stream.', false, false],
      [4503, 'KMS_KEY_UNAVAILABLE', "The stream's specified KMS key is unavailable.",
        'KMS is temporarily unavailable; streaming is retried.', true, true],
      [4504, 'KMS_KEY_INVALID_USAGE', "Invalid usage of the stream's specified KMS key.",
        'The KMS key must be a symmetric ENCRYPT_DECRYPT key.', false, false],
      [4505, 'KMS_KEY_INVALID_STATE', "The stream's specified KMS key is in an invalid state.",
        'Check the KMS key state (pending deletion or import?).', false, false],
      [4506, 'KMS_KEY_NOT_FOUND', "The stream's specified KMS key is not found.",
        'The KMS key configured on the stream does not exist; update the stream.', false, false],
      [5000, 'INTERNAL_ERROR', 'Internal service error',
        'Transient service error; the session is restarted and the data resent.', true, true],
      [5001, 'ARCHIVAL_ERROR', 'Kinesis Video Streams failed to persist fragments to the data store.',
        'Transient service error; the fragment is resent.', true, true],
    ] as const
  ).map(([errorId, code, guideMessage, fix, retriable, recoverable]) => [
    errorId,
    { errorId, code, guideMessage, fix, retriable, recoverable },
  ]),
);

/** The KvsError for an ERROR ACK's ErrorId (`errorCode` is the ACK's own `ErrorCode`, if any). */
export function ackError(errorId: number, errorCode?: string): KvsError {
  const spec = ACK_ERRORS.get(errorId);
  if (!spec) {
    return new KvsError({
      code: `UNKNOWN_ACK_ERROR_${errorId}`,
      kvsStatus: errorId,
      retriable: true,
      recoverable: true,
      message: `KVS reported fragment error ${errorId}${errorCode ? ` (${sanitizeMessage(errorCode)})` : ''}, which is not in the documented table; the session is restarted.`,
    });
  }
  return new KvsError({
    code: spec.code,
    kvsStatus: errorId,
    retriable: spec.retriable,
    recoverable: spec.recoverable,
    message: `KVS fragment error ${errorId} ${spec.code}: ${spec.guideMessage} ${spec.fix}`,
  });
}

// ---------------------------------------------------------------------------------------------
// Secret hygiene
// ---------------------------------------------------------------------------------------------

const MAX_MESSAGE_CHARS = 400;

/** `AKIAIOSFODNN7EXAMPLE` → `AKIA…MPLE`. Anything shorter than 12 chars → `…`. */
export function maskAccessKeyId(id: string): string {
  if (id.length < 12) return '…';
  return `${id.slice(0, 4)}…${id.slice(-4)}`;
}

/**
 * Make a service/SDK message safe to show: drop AWS's echo of the canonical request and
 * string-to-sign (it contains signed header values, e.g. the session token), mask access key
 * ids, remove anything that looks like `Credential=`/`Signature=`/`X-Amz-Security-Token`, cap
 * the length. Extra literal secrets can be passed to be redacted too.
 */
export function sanitizeMessage(msg: string, secrets: readonly (string | undefined)[] = []): string {
  let s = String(msg);
  const cut = s.search(/The Canonical String for this request|The String-to-Sign should have been|canonical request/i);
  if (cut >= 0) s = s.slice(0, cut).trimEnd();
  for (const secret of secrets) {
    if (secret && secret.length >= 4) s = s.split(secret).join('[redacted]');
  }
  s = s.replace(/\b((?:AKIA|ASIA|AIDA|AROA)[A-Z0-9]{8,})\b/g, (m) => maskAccessKeyId(m));
  s = s.replace(/(Signature=)[0-9a-f]+/gi, '$1[redacted]');
  s = s.replace(/(X-Amz-Security-Token[=:]\s*)[^\s&,]+/gi, '$1[redacted]');
  if (s.length > MAX_MESSAGE_CHARS) s = `${s.slice(0, MAX_MESSAGE_CHARS)}…`;
  return s;
}

// ---------------------------------------------------------------------------------------------
// HTTP and service errors (PutMedia responses, control-plane SDK errors)
// ---------------------------------------------------------------------------------------------

export interface ServiceErrorInput {
  httpStatus?: number;
  /** `x-amzn-ErrorType` / `x-amz-ErrorType` header, JSON `__type`, or SDK `err.name`. */
  errorType?: string;
  /** Service message (will be sanitized). */
  message?: string;
  requestId?: string;
  /** Which API failed, for the message ("PutMedia", "DescribeStream"…). */
  operation?: string;
  streamName?: string;
  /** How the failed request was signed: tells an unknown key from a bad or missing token. */
  signedAs?: SignedAs;
}

/** What a signed request's headers say about its credentials (never the secret). */
export interface SignedAs {
  accessKeyId: string;
  region: string;
  sessionToken: boolean;
}

/** Reads the signing identity from SigV4-signed headers (lower-case names). */
export function signedAsFromHeaders(headers: Record<string, string>): SignedAs | undefined {
  const m = /Credential=([^/]+)\/\d{8}\/([^/]+)\//.exec(headers.authorization ?? '');
  if (!m) return undefined;
  return { accessKeyId: m[1]!, region: m[2]!, sessionToken: headers['x-amz-security-token'] !== undefined };
}

/** Access key ids of temporary (STS) credentials start with ASIA; they need their session token. */
function isTemporaryKey(accessKeyId: string): boolean {
  return accessKeyId.startsWith('ASIA');
}

/** `"com.amazonaws...#NotAuthorizedException:http://..."` → `NotAuthorizedException`. */
export function normalizeErrorType(t: string | undefined): string | undefined {
  if (!t) return undefined;
  let s = t.trim();
  const colon = s.indexOf(':');
  if (colon >= 0) s = s.slice(0, colon);
  const hash = s.lastIndexOf('#');
  if (hash >= 0) s = s.slice(hash + 1);
  return s || undefined;
}

/**
 * Map an AWS error (HTTP status + error type + message) into a KvsError.
 * Retriable: throttling, connection limits, 5xx, timeouts. Not retriable: auth, permission,
 * not-found, invalid-argument. 401 / expired token are not retriable as-is but
 * `refreshCredentials: true` says new credentials may fix them.
 */
export function serviceError(input: ServiceErrorInput): KvsError {
  const type = normalizeErrorType(input.errorType);
  const status = input.httpStatus;
  const op = input.operation ?? 'KVS request';
  const svcMsg = input.message ? sanitizeMessage(input.message) : '';
  const detail = [status !== undefined ? `HTTP ${status}` : undefined, type, svcMsg || undefined]
    .filter(Boolean)
    .join(' ');
  const base = { httpStatus: status, awsErrorType: type, requestId: input.requestId, detail } as const;
  const mk = (code: string, retriable: boolean, message: string, extra: Partial<KvsErrorInit> = {}): KvsError =>
    new KvsError({ ...stripUndefined(base), code, retriable, message: `${op} failed: ${message}`, ...extra });
  const stream = input.streamName ? `"${input.streamName}"` : 'the stream';
  const lowerMsg = (input.message ?? '').toLowerCase();

  switch (type) {
    case 'ClientLimitExceededException':
      return mk('CLIENT_LIMIT_EXCEEDED', true, 'KVS throttled the call (ClientLimitExceededException); retrying with backoff.');
    case 'ConnectionLimitExceededException':
      return mk('CONNECTION_LIMIT_EXCEEDED', true,
        `too many concurrent connections to ${stream} (ConnectionLimitExceededException); is another producer streaming to it? Retrying with backoff.`);
    case 'ThrottlingException':
    case 'TooManyRequestsException':
    case 'RequestLimitExceeded':
      return mk('THROTTLED', true, `request throttled (${type}); retrying with backoff.`);
    case 'InvalidEndpointException':
      return mk('INVALID_ENDPOINT', true, 'the data endpoint is stale or wrong (InvalidEndpointException); calling GetDataEndpoint again.',
        { refreshEndpoint: true });
    case 'InvalidArgumentException':
    case 'ValidationException':
    case 'ValidationError':
    case 'InvalidParameterValue':
    case 'MissingParameter':
      return mk('INVALID_ARGUMENT', false, `the service rejected a parameter (${type})${svcMsg ? `: ${svcMsg}` : ''}.`);
    case 'ResourceNotFoundException':
      return mk('STREAM_NOT_FOUND', false,
        `stream ${stream} does not exist: create it (aws kinesisvideo create-stream) or set allow-create-stream=true.`);
    case 'ResourceInUseException':
      return mk('RESOURCE_IN_USE', true, `stream ${stream} is busy or not ACTIVE (ResourceInUseException).`);
    case 'AccountStreamLimitExceededException':
      return mk('ACCOUNT_STREAM_LIMIT_EXCEEDED', false,
        'the account has reached its Kinesis Video stream limit; delete unused streams or request a quota increase.');
    case 'TagsPerResourceExceededLimitException':
      return mk('TOO_MANY_TAGS', false, 'more than 50 tags were given for the stream; reduce stream-tags.');
    case 'NotAuthorizedException':
      // The guide: "not authorized to perform an operation on the given stream, or the token has expired".
      if (lowerMsg.includes('expired')) {
        return mk('EXPIRED_TOKEN', false,
          'the AWS credentials have expired; fresh credentials are fetched (refresh session-token / the credential file).',
          { refreshCredentials: true });
      }
      return mk('NOT_AUTHORIZED', false,
        `the credentials are not allowed to use ${stream} (NotAuthorizedException): grant kinesisvideo:DescribeStream, GetDataEndpoint, PutMedia (and CreateStream if allow-create-stream=true) in IAM, or refresh an expired session token.`,
        { refreshCredentials: true });
    case 'AccessDeniedException':
    case 'AccessDenied':
      return mk('ACCESS_DENIED', false,
        `the credentials are not allowed to use ${stream} (${type}): grant kinesisvideo:DescribeStream, GetDataEndpoint, PutMedia (and CreateStream if allow-create-stream=true) in IAM.`);
    case 'ExpiredTokenException':
    case 'ExpiredToken':
    case 'TokenRefreshRequired':
      return mk('EXPIRED_TOKEN', false,
        'the AWS session token has expired; fresh credentials are fetched (refresh session-token / the credential file).',
        { refreshCredentials: true });
    case 'UnrecognizedClientException':
    case 'InvalidClientTokenId':
    case 'InvalidAccessKeyId': {
      // AWS answers "The security token included in the request is invalid" both for an unknown
      // access key and for a bad token: how the request was signed tells which.
      const signed = input.signedAs;
      if (signed && !signed.sessionToken && isTemporaryKey(signed.accessKeyId)) {
        return mk('MISSING_SESSION_TOKEN', false,
          `the access key id ${maskAccessKeyId(signed.accessKeyId)} is temporary (it starts with ASIA) but no session token ` +
          'was sent: set session-token / AWS_SESSION_TOKEN (or the token field of the credential-path file) to the token ' +
          'that came with it.', { refreshCredentials: true });
      }
      if (signed && !signed.sessionToken) {
        return mk('INVALID_ACCESS_KEY', false,
          `AWS does not recognize the access key id ${maskAccessKeyId(signed.accessKeyId)}: check access-key / ` +
          'AWS_ACCESS_KEY_ID (a deleted or mistyped key, or a key of another partition).');
      }
      if (lowerMsg.includes('security token')) {
        return mk('INVALID_TOKEN', false,
          'AWS does not recognize the session token: check session-token / AWS_SESSION_TOKEN (it must belong to the same access key) or whether it expired.',
          { refreshCredentials: true });
      }
      return mk('INVALID_ACCESS_KEY', false,
        'AWS does not recognize the access key id: check access-key / AWS_ACCESS_KEY_ID (and session-token for temporary credentials).');
    }
    case 'MissingAuthenticationToken':
    case 'MissingAuthenticationTokenException':
    case 'IncompleteSignature':
    case 'IncompleteSignatureException':
      return mk('MISSING_AUTHENTICATION', false, `the request was not signed correctly (${type}); no usable credentials were sent.`);
    case 'InvalidSignatureException':
    case 'SignatureDoesNotMatch':
      if (lowerMsg.includes('signature expired') || lowerMsg.includes('request has expired')) {
        return mk('CLOCK_SKEW', false,
          'AWS rejected the request time: the system clock is off by more than 5 minutes; fix it (NTP).');
      }
      if (lowerMsg.includes('scoped to a valid region')) {
        const region = input.signedAs?.region ?? /not '([^']+)'/.exec(input.message ?? '')?.[1];
        return mk('REGION_MISMATCH', false,
          `the request was signed for region ${region ? `"${region}"` : '(unknown)'}, which is not the endpoint's region ` +
          `("Credential should be scoped to a valid region"): set aws-region (or AWS_REGION) to the endpoint's region, ` +
          'or point the endpoint (AWS_ENDPOINT_URL_KINESIS_VIDEO / CONTROL_PLANE_URI) at the region you chose.');
      }
      if (lowerMsg.includes('scoped to correct service')) {
        return mk('SIGNATURE_MISMATCH', false,
          `the endpoint is not Kinesis Video Streams ("Credential should be scoped to correct service"): check ` +
          'AWS_ENDPOINT_URL_KINESIS_VIDEO / AWS_ENDPOINT_URL / CONTROL_PLANE_URI.');
      }
      return mk('SIGNATURE_MISMATCH', false,
        'AWS rejected the request signature: check secret-key / AWS_SECRET_ACCESS_KEY (it must match the access key id).');
    case 'RequestExpired':
    case 'RequestTimeTooSkewed':
      return mk('CLOCK_SKEW', false,
        `AWS rejected the request time (${type}${svcMsg ? `: ${svcMsg}` : ''}): the system clock is off by more than ` +
        '15 minutes; fix it (NTP, e.g. timedatectl set-ntp true).');
    case 'OptInRequired':
      return mk('OPT_IN_REQUIRED', false, 'the account is not subscribed to Kinesis Video Streams in this region.');
    case 'InternalFailure':
    case 'InternalServerError':
    case 'InternalServerException':
    case 'ServiceUnavailable':
    case 'ServiceUnavailableException':
      return mk('SERVICE_UNAVAILABLE', true, `the service had a transient failure (${type}); retrying.`);
    default:
      break;
  }

  if (status === undefined) {
    return mk('UNKNOWN_ERROR', true, `unexpected error${type ? ` ${type}` : ''}${svcMsg ? `: ${svcMsg}` : ''}.`);
  }
  if (status === 401) {
    return mk('NOT_AUTHORIZED', false,
      `not authorized (HTTP 401${type ? ` ${type}` : ''}): check the IAM permissions of the credentials, or refresh an expired session token.`,
      { refreshCredentials: true });
  }
  if (status === 403) {
    return mk('SIGNATURE_MISMATCH', false,
      `AWS rejected the request (HTTP 403${type ? ` ${type}` : ''}): check secret-key / AWS_SECRET_ACCESS_KEY and access-key / AWS_ACCESS_KEY_ID.`);
  }
  if (status === 404) {
    return mk('STREAM_NOT_FOUND', false,
      `stream ${stream} was not found (HTTP 404): create it or set allow-create-stream=true.`);
  }
  if (status === 408) return mk('TIMEOUT', true, 'the service timed out waiting for the request (HTTP 408); retrying.');
  if (status === 429) return mk('THROTTLED', true, 'request throttled (HTTP 429); retrying with backoff.');
  if (status >= 500) return mk('SERVICE_UNAVAILABLE', true, `the service returned HTTP ${status}; retrying.`);
  return mk(`HTTP_${status}`, false, `unexpected HTTP ${status}${type ? ` ${type}` : ''}${svcMsg ? `: ${svcMsg}` : ''}.`);
}

// ---------------------------------------------------------------------------------------------
// Network errors (undici UND_ERR_*, Node errno codes, TLS)
// ---------------------------------------------------------------------------------------------

const RETRIABLE_NETWORK_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_SOCKET',
  'UND_ERR_CLOSED', 'UND_ERR_DESTROYED', 'UND_ERR_INFO', 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'ENETUNREACH', 'ENETDOWN',
  'EHOSTUNREACH', 'EHOSTDOWN', 'EAI_AGAIN', 'ENOTFOUND', 'EADDRNOTAVAIL', 'ERR_STREAM_PREMATURE_CLOSE',
  'ERR_SOCKET_CONNECTION_TIMEOUT', 'TimeoutError', 'RequestTimeout',
]);

const TLS_CODES = /^(CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_TLS_|ERR_SSL_|HOSTNAME_MISMATCH)/;

function errCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as { code?: unknown; cause?: unknown; name?: unknown };
  if (typeof e.code === 'string') return e.code;
  if (e.cause) return errCode(e.cause);
  return undefined;
}

/** Is this a transport-level failure (no HTTP response to map)? */
export function isNetworkError(err: unknown): boolean {
  const code = errCode(err);
  return code !== undefined && (RETRIABLE_NETWORK_CODES.has(code) || TLS_CODES.test(code));
}

/** Map an undici / Node network error into a KvsError. */
export function networkError(err: unknown, operation = 'KVS request', target?: string): KvsError {
  const name = typeof err === 'object' && err !== null ? (err as { name?: unknown }).name : undefined;
  const code = errCode(err) ?? (name === 'TimeoutError' ? 'TimeoutError' : 'UNKNOWN');
  const raw = err instanceof Error ? sanitizeMessage(err.message) : sanitizeMessage(String(err));
  const where = target ? ` to ${target}` : '';
  if (TLS_CODES.test(code)) {
    return new KvsError({
      code: 'TLS_ERROR', retriable: false, detail: `${code} ${raw}`,
      message: `${operation} failed: the TLS certificate${where} could not be verified (${code}). Set AWS_CA_BUNDLE (or SSL_CERT_FILE, NODE_EXTRA_CA_CERTS) to a PEM file holding the CA that issued it; verification is never disabled.`,
    });
  }
  if (code === 'UND_ERR_ABORTED' || code === 'ABORT_ERR') {
    return new KvsError({ code: 'ABORTED', retriable: false, detail: raw, message: `${operation} was cancelled.` });
  }
  const known = RETRIABLE_NETWORK_CODES.has(code);
  const timeout = /TIMEOUT|TimeoutError|ETIMEDOUT/.test(code);
  return new KvsError({
    code: timeout ? 'NETWORK_TIMEOUT' : 'NETWORK_ERROR',
    retriable: true,
    detail: `${code} ${raw}`,
    message: `${operation} failed: ${timeout ? 'timed out' : 'network error'}${where} (${code})${known ? '' : `: ${raw}`}; retrying when the network is back.`,
  });
}

/**
 * Map anything thrown by the AWS SDK v3 (control plane) into a KvsError. Uses `err.name`,
 * `$metadata.httpStatusCode`, `$metadata.requestId`; network failures go to `networkError`.
 */
export function sdkError(err: unknown, operation: string, streamName?: string): KvsError {
  if (isKvsError(err)) return err;
  if (typeof err !== 'object' || err === null) {
    return new KvsError({ code: 'UNKNOWN_ERROR', retriable: false, message: `${operation} failed: ${sanitizeMessage(String(err))}` });
  }
  const e = err as { name?: unknown; message?: unknown; $metadata?: { httpStatusCode?: number; requestId?: string }; $fault?: unknown };
  const name = typeof e.name === 'string' ? e.name : undefined;
  if (name === 'AbortError') {
    return new KvsError({ code: 'ABORTED', retriable: false, message: `${operation} was cancelled.` });
  }
  if (name === 'CredentialsProviderError') {
    return new KvsError({
      code: 'NO_CREDENTIALS', retriable: false,
      detail: sanitizeMessage(String(e.message ?? '')),
      message: `${operation} failed: ${NO_CREDENTIALS_HINT}`,
    });
  }
  const status = e.$metadata?.httpStatusCode;
  if (status === undefined && (isNetworkError(err) || name === 'TimeoutError')) {
    return networkError(err, operation);
  }
  const input: ServiceErrorInput = { operation };
  if (status !== undefined) input.httpStatus = status;
  if (name !== undefined && name !== 'Error') input.errorType = name;
  if (typeof e.message === 'string') input.message = e.message;
  if (e.$metadata?.requestId) input.requestId = e.$metadata.requestId;
  if (streamName !== undefined) input.streamName = streamName;
  const signedAs = (err as { signedAs?: SignedAs }).signedAs;
  if (signedAs) input.signedAs = signedAs;
  return serviceError(input);
}

export const NO_CREDENTIALS_HINT =
  'no AWS credentials found. Provide them with one of: the "access-key" and "secret-key" properties ' +
  '(plus "session-token" for temporary credentials); a "credential-path" file ("CREDENTIALS <access_key_id> <secret_access_key>"); ' +
  'the AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY environment variables; a profile in ~/.aws/credentials or ~/.aws/config ' +
  '(AWS_PROFILE, SSO); web identity (AWS_WEB_IDENTITY_TOKEN_FILE); or an ECS task / EC2 instance role.';

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const [k, v] of Object.entries(o)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}
