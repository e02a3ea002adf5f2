/**
 * Credential resolution: iot-certificate → properties → environment → credential-path file →
 * the standard AWS chain (profiles, SSO, web identity, ECS, IMDS). IoT first, as the official
 * element does.
 *
 * Refresh: every provider returns `expiration` on credentials that expire and, called within
 * its margin of that time, returns fresh ones (IoT: fetched again; file: re-read; chain: the SDK's
 * own refresh, 5 min ahead). `{ forceRefresh: true }` asks for new ones now. Sessions are rotated
 * on that `expiration` and on rotation-period by the stream (src/stream/stream.ts).
 *
 * Differences from the official element (research §2.6), on purpose:
 * - the standard chain is the last resort instead of "Could not find any AWS credentials!";
 * - a session-token from the environment is not mixed with keys given as properties (a stale
 *   AWS_SESSION_TOKEN next to explicit long-term keys would make every signature fail);
 * - the credential file is re-read when it changes (mtime), not only near expiry.
 *
 * Nothing here logs or puts into an error message a secret key or a session token; an access
 * key id is shown masked (`AKIA…MPLE`) at most.
 */
import { readFile, stat } from 'node:fs/promises';
import { statSync } from 'node:fs';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { KvsError, NO_CREDENTIALS_HINT, isKvsError, maskAccessKeyId, sanitizeMessage, type LogFn } from './errors.js';
import type { Env } from './endpoint.js';
import { iotCredentialProvider, parseIotCertificate } from './iot-credentials.js';

export type CredentialSource = 'iot-certificate' | 'properties' | 'environment' | 'credential-file' | 'chain';

export interface CredentialProps {
  /** `access-key`; the caller maps the official sentinel "access_key" to undefined. */
  accessKey?: string | undefined;
  /** `secret-key`; sentinel "secret_key" → undefined. */
  secretKey?: string | undefined;
  /** `session-token`; sentinel "session_token" → undefined. */
  sessionToken?: string | undefined;
  /** `credential-path`; used only if the file exists. */
  credentialPath?: string | undefined;
  /** `iot-certificate` (GstStructure text); wins over everything else when set. */
  iotCertificate?: string | undefined;
  /** `stream-name`: the IoT thing name unless the structure gives `iot-thing-name`. */
  streamName?: string | undefined;
}

export interface ResolveCredentialOptions {
  log?: LogFn;
  /**
   * Upper bound for one lookup through the standard chain, in ms (default 5000). The IMDS
   * provider is also given `timeout: 1000, maxRetries: 0`, so on a machine without a metadata
   * service the chain gives up after about 2 s (token PUT + v1 GET) instead of hanging.
   */
  chainTimeoutMs?: number;
  /** Tests: replace the chain. */
  chainFactory?: () => AwsCredentialIdentityProvider;
  /** Clock, ms since epoch (tests). */
  now?: () => number;
}

export interface ResolvedCredentials {
  provider: AwsCredentialIdentityProvider;
  source: CredentialSource;
  /** Human description for logs, e.g. `properties (AKIA…MPLE)`. Contains no secret. */
  description: string;
}

export const CREDENTIAL_CHAIN_TIMEOUT_MS = 5000;
/** IMDS / container metadata: per-request connect timeout and retries given to the chain. */
export const METADATA_TIMEOUT_MS = 1000;
export const METADATA_MAX_RETRIES = 0;

function present(v: string | undefined | null): v is string {
  return v !== undefined && v !== null && v !== '';
}

function staticProvider(creds: AwsCredentialIdentity): AwsCredentialIdentityProvider {
  const frozen = Object.freeze({ ...creds });
  return () => Promise.resolve(frozen);
}

/**
 * Pick the credential provider. Order: properties (both access-key and secret-key) →
 * environment (AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN]) →
 * credential-path file (only if it exists) → `fromNodeProviderChain()` (bounded in time).
 *
 * Throws `INCOMPLETE_CREDENTIALS` when only one of access-key / secret-key is set (or only one
 * of the two environment variables). The chain provider rejects with `NO_CREDENTIALS` (listing
 * every way to provide credentials) when nothing resolves.
 */
export function resolveCredentialProvider(
  props: CredentialProps,
  env: Env = process.env,
  opts: ResolveCredentialOptions = {},
): ResolvedCredentials {
  if (present(props.iotCertificate)) {
    const iot = parseIotCertificate(props.iotCertificate, props.streamName ?? '');
    return {
      provider: iotCredentialProvider(iot, { ...(opts.log ? { log: opts.log } : {}), ...(opts.now ? { now: opts.now } : {}) }),
      source: 'iot-certificate',
      description: `iot-certificate (${iot.endpoint}, role alias "${iot.roleAlias}", thing "${iot.thingName}")`,
    };
  }
  const hasAk = present(props.accessKey);
  const hasSk = present(props.secretKey);
  if (hasAk !== hasSk) {
    const missing = hasAk ? 'secret-key' : 'access-key';
    const given = hasAk ? 'access-key' : 'secret-key';
    throw new KvsError({
      code: 'INCOMPLETE_CREDENTIALS', retriable: false,
      message: `"${given}" is set but "${missing}" is not: set both (and "session-token" for temporary credentials), or unset both to use the environment, "credential-path" or the AWS credential chain.`,
    });
  }
  if (hasAk && hasSk) {
    const creds: AwsCredentialIdentity = {
      accessKeyId: props.accessKey!, secretAccessKey: props.secretKey!,
      ...(present(props.sessionToken) ? { sessionToken: props.sessionToken } : {}),
    };
    return {
      provider: staticProvider(creds), source: 'properties',
      description: `properties (${maskAccessKeyId(creds.accessKeyId)}${creds.sessionToken ? ', with session-token' : ''})`,
    };
  }

  const envAk = env.AWS_ACCESS_KEY_ID;
  const envSk = env.AWS_SECRET_ACCESS_KEY;
  if (present(envAk) !== present(envSk)) {
    const missing = present(envAk) ? 'AWS_SECRET_ACCESS_KEY' : 'AWS_ACCESS_KEY_ID';
    const given = present(envAk) ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY';
    throw new KvsError({
      code: 'INCOMPLETE_CREDENTIALS', retriable: false,
      message: `${given} is set in the environment but ${missing} is not: set both, or unset both to use "credential-path" or the AWS credential chain.`,
    });
  }
  if (present(envAk) && present(envSk)) {
    const creds: AwsCredentialIdentity = {
      accessKeyId: envAk, secretAccessKey: envSk,
      ...(present(env.AWS_SESSION_TOKEN) ? { sessionToken: env.AWS_SESSION_TOKEN } : {}),
    };
    return {
      provider: staticProvider(creds), source: 'environment',
      description: `environment (${maskAccessKeyId(envAk)}${creds.sessionToken ? ', with AWS_SESSION_TOKEN' : ''})`,
    };
  }

  if (present(props.credentialPath) && fileExists(props.credentialPath)) {
    return {
      provider: fileCredentialProvider(props.credentialPath, {
        ...(opts.log ? { log: opts.log } : {}), ...(opts.now ? { now: opts.now } : {}),
      }),
      source: 'credential-file',
      description: `credential-path file ${props.credentialPath}`,
    };
  }

  return {
    provider: boundedChain(opts),
    source: 'chain',
    description: 'AWS default credential chain (profile, SSO, web identity, ECS, EC2 instance role)',
  };
}

function fileExists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function boundedChain(opts: ResolveCredentialOptions): AwsCredentialIdentityProvider {
  const timeoutMs = opts.chainTimeoutMs ?? CREDENTIAL_CHAIN_TIMEOUT_MS;
  // The standard chain (SSO, STS, IMDS… ~0.03–0.1 CPU-s to load) is imported on first use only:
  // with explicit, environment or file credentials it is never needed.
  let chain: Promise<AwsCredentialIdentityProvider> | undefined = opts.chainFactory
    ? Promise.resolve(opts.chainFactory())
    : undefined;
  const loadChain = (): Promise<AwsCredentialIdentityProvider> => (chain ??= import('@aws-sdk/credential-providers')
    .then((m) => m.fromNodeProviderChain({ timeout: METADATA_TIMEOUT_MS, maxRetries: METADATA_MAX_RETRIES })));
  return async (identityProperties?: Record<string, unknown>) => {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new KvsError({
          code: 'NO_CREDENTIALS', retriable: true,
          message: `The AWS credential chain did not answer within ${timeoutMs} ms (no profile, no web identity, metadata service unreachable). ${capitalize(NO_CREDENTIALS_HINT)}`,
        })),
        timeoutMs,
      );
      timer.unref?.();
    });
    try {
      // The chain is memoized by the SDK: it refreshes 5 min before expiry, or on forceRefresh.
      return await Promise.race([loadChain().then((provider) => provider(identityProperties)), timeout]);
    } catch (err) {
      if (isKvsError(err)) throw err;
      const raw = err instanceof Error ? err.message : String(err);
      opts.log?.('debug', `credential chain failed: ${sanitizeMessage(raw)}`);
      throw new KvsError({
        code: 'NO_CREDENTIALS', retriable: false,
        detail: sanitizeMessage(raw),
        message: `${capitalize(NO_CREDENTIALS_HINT)} (last chain error: ${sanitizeMessage(raw)})`,
      });
    } finally {
      if (timer) clearTimeout(timer);
    }
  };
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// credential-path file (producer-c FileCredentialProvider format, research §2.7)
// ---------------------------------------------------------------------------------------------

/** Re-read this long before expiry: 5 s read grace + 30 s min streaming token + 3 s grace (PIC). */
export const CREDENTIAL_FILE_REFRESH_MARGIN_MS = 38_000;
/** producer-c MAX_AUTH_LEN. */
export const MAX_CREDENTIAL_FILE_BYTES = 10_000;

export interface ParsedCredentialFile {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}

const EXPIRATION_RE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?Z$/;

/**
 * Parse the official credential file:
 * `CREDENTIALS <access_key_id> <secret_access_key>` or
 * `CREDENTIALS <access_key_id> <expiration YYYY-MM-DDTHH:mm:SSZ> <secret_access_key> [<session_token>]`,
 * tokens separated by any whitespace (tabs in the historical samples). Errors name the file and
 * the expected format, never its content.
 */
export function parseCredentialFile(text: string, path = 'credential file'): ParsedCredentialFile {
  const bad = (why: string): KvsError => new KvsError({
    code: 'CREDENTIAL_FILE_INVALID', retriable: false,
    message: `${path}: ${why}. Expected "CREDENTIALS <access_key_id> <secret_access_key>" or "CREDENTIALS <access_key_id> <YYYY-MM-DDTHH:mm:SSZ> <secret_access_key> <session_token>".`,
  });
  const tokens = text.split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0) throw bad('the file is empty');
  if (tokens[0] !== 'CREDENTIALS') throw bad('the first word must be CREDENTIALS');
  if (tokens.length === 3) {
    return { accessKeyId: tokens[1]!, secretAccessKey: tokens[2]! };
  }
  if (tokens.length === 4 || tokens.length === 5) {
    const m = EXPIRATION_RE.exec(tokens[2]!);
    if (!m) throw bad('the third word must be the expiration in the form YYYY-MM-DDTHH:mm:SSZ');
    const expiration = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
    if (Number.isNaN(expiration.getTime()) || expiration.getUTCDate() !== +m[3]!) throw bad('the expiration is not a valid date');
    const out: ParsedCredentialFile = { accessKeyId: tokens[1]!, secretAccessKey: tokens[3]!, expiration };
    if (tokens.length === 5) out.sessionToken = tokens[4]!;
    return out;
  }
  throw bad(`found ${tokens.length} words, expected 3, 4 or 5`);
}

export interface FileCredentialOptions {
  log?: LogFn;
  /** Clock, ms since epoch (tests). */
  now?: () => number;
  /** Re-read margin before expiry (default 38 s). */
  refreshMarginMs?: number;
}

/**
 * A provider reading the credential-path file. The cached credentials are reused until they are
 * within `refreshMarginMs` (38 s) of their expiration, or until the file's mtime (or size)
 * changes; then the file is read again. Credentials that are already expired are refused with
 * `CREDENTIALS_EXPIRED` (retriable: the process that rewrites the file may catch up).
 */
export function fileCredentialProvider(path: string, opts: FileCredentialOptions = {}): AwsCredentialIdentityProvider {
  const now = opts.now ?? Date.now;
  const margin = opts.refreshMarginMs ?? CREDENTIAL_FILE_REFRESH_MARGIN_MS;
  let cached: { creds: AwsCredentialIdentity; mtimeMs: number; size: number } | undefined;

  return async (identityProperties?: Record<string, unknown>) => {
    let st;
    try {
      st = await stat(path);
    } catch (err) {
      throw new KvsError({
        code: 'CREDENTIAL_FILE_UNREADABLE', retriable: true,
        detail: sanitizeMessage(err instanceof Error ? err.message : String(err)),
        message: `credential-path ${path} cannot be read (${(err as { code?: string }).code ?? 'error'}): check that the file exists and is readable.`,
      });
    }
    const exp = cached?.creds.expiration?.getTime();
    const fresh = cached !== undefined && identityProperties?.forceRefresh !== true
      && cached.mtimeMs === st.mtimeMs && cached.size === st.size
      && (exp === undefined || now() + margin < exp);
    if (fresh) return cached!.creds;

    if (st.size > MAX_CREDENTIAL_FILE_BYTES) {
      throw new KvsError({
        code: 'CREDENTIAL_FILE_INVALID', retriable: false,
        message: `credential-path ${path} is ${st.size} bytes, more than the ${MAX_CREDENTIAL_FILE_BYTES} allowed; it should hold one CREDENTIALS line.`,
      });
    }
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new KvsError({
        code: 'CREDENTIAL_FILE_UNREADABLE', retriable: true,
        message: `credential-path ${path} cannot be read (${(err as { code?: string }).code ?? 'error'}).`,
      });
    }
    const parsed = parseCredentialFile(text, `credential-path ${path}`);
    if (parsed.expiration && parsed.expiration.getTime() <= now()) {
      throw new KvsError({
        code: 'CREDENTIALS_EXPIRED', retriable: true,
        message: `credential-path ${path} holds credentials (${maskAccessKeyId(parsed.accessKeyId)}) that expired at ${parsed.expiration.toISOString()}: the process that refreshes this file may have stopped.`,
      });
    }
    const creds: AwsCredentialIdentity = {
      accessKeyId: parsed.accessKeyId, secretAccessKey: parsed.secretAccessKey,
      ...(parsed.sessionToken ? { sessionToken: parsed.sessionToken } : {}),
      ...(parsed.expiration ? { expiration: parsed.expiration } : {}),
    };
    opts.log?.('debug', `read credentials ${maskAccessKeyId(parsed.accessKeyId)} from ${path}${parsed.expiration ? `, expiring ${parsed.expiration.toISOString()}` : ''}`);
    cached = { creds: Object.freeze(creds), mtimeMs: st.mtimeMs, size: st.size };
    return cached.creds;
  };
}
