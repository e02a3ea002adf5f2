/**
 * A local AWS IoT credentials provider: `GET /role-aliases/<alias>/credentials` over HTTPS with
 * client-certificate verification, answering as the real one does
 * (`{"credentials":{"accessKeyId","secretAccessKey","sessionToken","expiration"}}`). Each answer is
 * a new temporary credential set, which the local KVS endpoint accepts until it expires and then
 * refuses with 403 ExpiredTokenException. Lets a device's IoT setup (cert, key, CA, role alias,
 * thing name) be tried offline.
 *
 * ```ts
 * const kvs = await startLocalKvs({ dataDir });
 * const iot = await startLocalIotProvider({ kvs, certPath, keyPath, clientCaPath, credentialDurationS: 60 });
 * // kvssink iot-certificate="iot-certificate,endpoint=${iot.endpoint},cert-path=…,key-path=…,ca-path=…,role-aliases=KvsCameraIoTRoleAlias"
 * ```
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { CredentialSet } from './sigv4.js';

/** The guide's example alias (`aws iot create-role-alias --role-alias KvsCameraIoTRoleAlias`). */
export const DEFAULT_ROLE_ALIAS = 'KvsCameraIoTRoleAlias';
/** The guide's example `--credential-duration-seconds 3600`. */
export const DEFAULT_CREDENTIAL_DURATION_S = 3600;

export type LocalIotLogEntry = { time: string; level: 'info' | 'warn'; event: string; [field: string]: unknown };

export interface LocalIotProviderOptions {
  /** Where issued credentials go: the local KVS endpoint (anything with `addCredentials`). */
  kvs: { addCredentials(set: CredentialSet): void };
  /** The provider's own TLS certificate and key (PEM files). */
  certPath: string;
  keyPath: string;
  /** CA certificate(s) that device certificates must be signed by (PEM file). */
  clientCaPath: string;
  /** Role aliases that exist (default [KvsCameraIoTRoleAlias]). */
  roleAliases?: string[];
  /** When given, only these thing names are accepted (others: 403 "Invalid thing name passed"). */
  thingNames?: string[];
  /** Lifetime of each issued credential set, seconds (default 3600). */
  credentialDurationS?: number;
  host?: string;
  /** 0 (default): an ephemeral port. */
  port?: number;
  /** One object per event; credentials are never logged (the access key id is masked). */
  log?: (entry: LocalIotLogEntry) => void;
}

export interface LocalIotProvider {
  /** `host:port`, the value for `endpoint=` in `iot-certificate`. */
  readonly endpoint: string;
  readonly port: number;
  /** Credential sets issued so far. */
  readonly issued: number;
  close(): Promise<void>;
}

function mask(id: string): string {
  return `${id.slice(0, 4)}…${id.slice(-4)}`;
}

function temporaryCredentials(durationS: number): CredentialSet & { expiresAtMs: number } {
  // ASIA: the prefix of temporary (STS) access key ids.
  const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
  return {
    accessKeyId,
    secretAccessKey: randomBytes(30).toString('base64'),
    sessionToken: randomBytes(96).toString('base64'),
    // Whole seconds, as the expiration is written (ISO 8601 without milliseconds).
    expiresAtMs: Math.floor(Date.now() / 1000) * 1000 + durationS * 1000,
  };
}

export async function startLocalIotProvider(o: LocalIotProviderOptions): Promise<LocalIotProvider> {
  const durationS = o.credentialDurationS ?? DEFAULT_CREDENTIAL_DURATION_S;
  if (!Number.isInteger(durationS) || durationS < 1) throw new TypeError('Expected "credentialDurationS" to be a positive integer');
  const aliases = new Set(o.roleAliases ?? [DEFAULT_ROLE_ALIAS]);
  const things = o.thingNames ? new Set(o.thingNames) : undefined;
  const log = (level: LocalIotLogEntry['level'], event: string, fields: Record<string, unknown> = {}): void => {
    try {
      o.log?.({ time: new Date().toISOString(), level, event, ...fields });
    } catch {
      // A failing log sink must not break the server.
    }
  };
  const sockets = new Set<Socket>();
  let issued = 0;

  const server: Server = createServer({
    cert: readFileSync(o.certPath), key: readFileSync(o.keyPath), ca: readFileSync(o.clientCaPath),
    // Mutual TLS: a device certificate not signed by the CA fails the handshake, as at AWS.
    requestCert: true, rejectUnauthorized: true,
  }, (req, res) => {
    const send = (status: number, body: unknown): void => {
      const text = JSON.stringify(body);
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    };
    const device = (req.socket as TLSSocket).getPeerCertificate();
    const m = /^\/role-aliases\/([^/]+)\/credentials$/.exec((req.url ?? '').split('?')[0] ?? '');
    if (req.method !== 'GET' || !m) {
      log('warn', 'iot-bad-request', { method: req.method, url: req.url });
      return send(400, { message: 'Bad request' });
    }
    const alias = decodeURIComponent(m[1]!);
    const thing = req.headers['x-amzn-iot-thingname'];
    const thingName = typeof thing === 'string' ? thing : undefined;
    if (!aliases.has(alias)) {
      log('warn', 'iot-unknown-role-alias', { roleAlias: alias, thingName });
      return send(404, { message: 'Role alias does not exist' });
    }
    if (things && (!thingName || !things.has(thingName))) {
      log('warn', 'iot-invalid-thing-name', { roleAlias: alias, thingName });
      return send(403, { message: 'Invalid thing name passed' });
    }
    const creds = temporaryCredentials(durationS);
    o.kvs.addCredentials(creds);
    issued++;
    const expiration = new Date(creds.expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z');
    log('info', 'iot-credentials-issued', {
      roleAlias: alias, thingName, device: device.subject?.CN, accessKeyId: mask(creds.accessKeyId), expiration,
    });
    send(200, { credentials: {
      accessKeyId: creds.accessKeyId, secretAccessKey: creds.secretAccessKey, sessionToken: creds.sessionToken, expiration,
    } });
  });
  server.on('secureConnection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  server.on('tlsClientError', (err) => log('warn', 'iot-tls-refused', { error: (err as { code?: string }).code ?? err.message }));

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  let closed: Promise<void> | undefined;
  return {
    endpoint: `${host}:${address.port}`,
    port: address.port,
    get issued() {
      return issued;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
      return closed;
    },
  };
}
