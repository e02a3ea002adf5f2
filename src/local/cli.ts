#!/usr/bin/env node
/**
 * kvssink-local: run the local KVS-compatible endpoint, or inspect/export a data directory.
 *
 *   kvssink-local [serve] [--port 0] [--host 127.0.0.1] [--data-dir ./kvs-local-data] [--region us-west-2]
 *                 [--access-key AK --secret-key SK [--session-token T]]... [--activation-delay-ms 0]
 *                 [--idle-ack-interval-ms 3000] [--fault kind:key=value,...]... [--quiet]
 *                 [--iot-port N --iot-certs DIR [--iot-role-alias A]... [--iot-thing T]... [--iot-credential-duration S]]
 *   kvssink-local iot-certs --dir DIR
 *   kvssink-local summary --data-dir DIR --stream NAME
 *   kvssink-local export  --data-dir DIR --stream NAME --out FILE.mkv [--start T] [--end T] [--server-time]
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { parseFaultFlag, type FaultSpec } from './faults.js';
import { createIotTestCertificates, type IotTestCertificates } from './iot-certificates.js';
import { DEFAULT_CREDENTIAL_DURATION_S, DEFAULT_ROLE_ALIAS, startLocalIotProvider, type LocalIotProvider } from './iot-provider.js';
import { DEFAULT_ACCESS_KEY_ID, DEFAULT_SECRET_ACCESS_KEY, startLocalKvs, type CredentialSet } from './server.js';
import { exportStream, summarizeStream } from './summary.js';

const USAGE = `Usage:
  kvssink-local [serve] [options]        run the local Kinesis Video Streams endpoint
  kvssink-local iot-certs --dir DIR      make a test CA, provider and device certificate (openssl)
  kvssink-local summary --stream NAME    print a JSON summary of a stored stream
  kvssink-local export --stream NAME --out FILE.mkv [--start T] [--end T] [--server-time]

Options (serve):
  --port N                  listen port (default 0: ephemeral)
  --host H                  listen address (default 127.0.0.1)
  --data-dir DIR            persisted state (default ./kvs-local-data)
  --region R                region required in the SigV4 scope (default us-west-2)
  --access-key AK --secret-key SK [--session-token T]
                            add a credential set (repeatable; ${DEFAULT_ACCESS_KEY_ID} is always accepted)
  --activation-delay-ms N   CREATING -> ACTIVE delay (default 0)
  --idle-ack-interval-ms N  IDLE ack period (default 3000)
  --public-url URL          DataEndpoint returned by GetDataEndpoint
  --tls-cert FILE --tls-key FILE
                            serve HTTPS with this certificate (e.g. server.crt from iot-certs)
  --fault SPEC              inject a fault, e.g. drop-connection:afterBytes=4096 (repeatable)
  --no-raw-sessions         do not keep the raw body of each PutMedia session
  --quiet                   no JSON log lines on stderr
  --iot-port N              also run an IoT credentials provider (HTTPS, device certificates
                            verified) on this port (0: ephemeral); needs --iot-certs
  --iot-certs DIR           its certificates, as "kvssink-local iot-certs" makes them (made if missing)
  --iot-role-alias A        a role alias that exists (repeatable; default ${DEFAULT_ROLE_ALIAS})
  --iot-thing T             accept only these thing names (repeatable; default: any)
  --iot-credential-duration S  lifetime of issued credentials, seconds (default ${DEFAULT_CREDENTIAL_DURATION_S})
Times for --start/--end: epoch milliseconds or an ISO 8601 date.`;

function parseTime(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw new TypeError(`Cannot parse time "${v}"`);
  return ms;
}

function intOption(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new TypeError(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'data-dir': { type: 'string', default: './kvs-local-data' },
      region: { type: 'string' },
      'access-key': { type: 'string', multiple: true },
      'secret-key': { type: 'string', multiple: true },
      'session-token': { type: 'string', multiple: true },
      'activation-delay-ms': { type: 'string' },
      'idle-ack-interval-ms': { type: 'string' },
      'public-url': { type: 'string' },
      fault: { type: 'string', multiple: true },
      quiet: { type: 'boolean', default: false },
      'no-raw-sessions': { type: 'boolean', default: false },
      stream: { type: 'string' },
      out: { type: 'string' },
      start: { type: 'string' },
      end: { type: 'string' },
      'server-time': { type: 'boolean', default: false },
      dir: { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-key': { type: 'string' },
      'iot-port': { type: 'string' },
      'iot-certs': { type: 'string' },
      'iot-role-alias': { type: 'string', multiple: true },
      'iot-thing': { type: 'string', multiple: true },
      'iot-credential-duration': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'serve';
  const dataDir = values['data-dir'];

  if (command === 'summary' || command === 'export') {
    if (!values.stream) throw new TypeError(`${command} needs --stream NAME`);
    if (command === 'summary') {
      const s = await summarizeStream(dataDir, values.stream);
      process.stdout.write(`${JSON.stringify(s, null, 2)}\n`);
      return 0;
    }
    if (!values.out) throw new TypeError('export needs --out FILE.mkv');
    const startMs = parseTime(values.start);
    const endMs = parseTime(values.end);
    const r = await exportStream(dataDir, values.stream, values.out, {
      ...(startMs !== undefined ? { startMs } : {}),
      ...(endMs !== undefined ? { endMs } : {}),
      timestamp: values['server-time'] ? 'server' : 'producer',
    });
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  if (command === 'iot-certs') {
    if (!values.dir) throw new TypeError('iot-certs needs --dir DIR');
    process.stdout.write(`${JSON.stringify(await createIotTestCertificates(resolve(values.dir)), null, 2)}\n`);
    return 0;
  }
  if (command !== 'serve') throw new TypeError(`Unknown command "${command}"\n${USAGE}`);

  const keys = values['access-key'] ?? [];
  const secrets = values['secret-key'] ?? [];
  const tokens = values['session-token'] ?? [];
  if (keys.length !== secrets.length) throw new TypeError('Each --access-key needs a matching --secret-key');
  const credentials: CredentialSet[] = [{ accessKeyId: DEFAULT_ACCESS_KEY_ID, secretAccessKey: DEFAULT_SECRET_ACCESS_KEY }];
  keys.forEach((accessKeyId, i) => {
    const token = tokens[i];
    credentials.push({ accessKeyId, secretAccessKey: secrets[i]!, ...(token ? { sessionToken: token } : {}) });
  });
  const faults: FaultSpec[] = (values.fault ?? []).map(parseFaultFlag);
  const port = intOption('port', values.port);
  const activationDelayMs = intOption('activation-delay-ms', values['activation-delay-ms']);
  const idleAckIntervalMs = intOption('idle-ack-interval-ms', values['idle-ack-interval-ms']);
  const kvs = await startLocalKvs({
    dataDir,
    credentials,
    faults,
    ...(values.host ? { host: values.host } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(values.region ? { region: values.region } : {}),
    ...(activationDelayMs !== undefined ? { activationDelayMs } : {}),
    ...(idleAckIntervalMs !== undefined ? { idleAckIntervalMs } : {}),
    ...(values['public-url'] ? { publicUrl: values['public-url'] } : {}),
    ...(values['no-raw-sessions'] ? { keepRawSessions: false } : {}),
    ...(values['tls-cert'] || values['tls-key'] ? { tls: tlsFiles(values['tls-cert'], values['tls-key']) } : {}),
    ...(values.quiet ? {} : { log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`) }),
  });
  process.stdout.write(`kvssink-local listening on ${kvs.url}\n`);
  let iot: LocalIotProvider | undefined;
  const iotPort = intOption('iot-port', values['iot-port']);
  if (iotPort !== undefined) {
    if (!values['iot-certs']) throw new TypeError('--iot-port needs --iot-certs DIR');
    const certs = await iotCertificates(resolve(values['iot-certs']));
    const duration = intOption('iot-credential-duration', values['iot-credential-duration']);
    iot = await startLocalIotProvider({
      kvs, certPath: certs.serverCertPath, keyPath: certs.serverKeyPath, clientCaPath: certs.caCertPath, port: iotPort,
      ...(values.host ? { host: values.host } : {}),
      ...(values['iot-role-alias'] ? { roleAliases: values['iot-role-alias'] } : {}),
      ...(values['iot-thing'] ? { thingNames: values['iot-thing'] } : {}),
      ...(duration !== undefined ? { credentialDurationS: duration } : {}),
      ...(values.quiet ? {} : { log: (entry) => process.stderr.write(`${JSON.stringify(entry)}\n`) }),
    });
    const alias = values['iot-role-alias']?.[0] ?? DEFAULT_ROLE_ALIAS;
    process.stdout.write(`kvssink-local IoT credentials provider on ${iot.endpoint}\n` +
      `  iot-certificate="iot-certificate,endpoint=${iot.endpoint},cert-path=${certs.deviceCertPath},` +
      `key-path=${certs.deviceKeyPath},ca-path=${certs.caCertPath},role-aliases=${alias}"\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await iot?.close();
  await kvs.close();
  return 0;
}

function tlsFiles(certPath: string | undefined, keyPath: string | undefined): { certPath: string; keyPath: string } {
  if (!certPath || !keyPath) throw new TypeError('--tls-cert and --tls-key go together');
  return { certPath, keyPath };
}

/** The certificates in `dir` (from `iot-certs`), made there first if it has none. */
async function iotCertificates(dir: string): Promise<IotTestCertificates> {
  const names = { caCertPath: 'ca.crt', caKeyPath: 'ca.key', serverCertPath: 'server.crt', serverKeyPath: 'server.key',
    deviceCertPath: 'device.crt', deviceKeyPath: 'device.key' } as const;
  const paths = Object.fromEntries(Object.entries(names).map(([k, f]) => [k, join(dir, f)])) as Omit<IotTestCertificates, 'dir'>;
  if (Object.values(paths).every((p) => existsSync(p))) return { dir, ...paths };
  return createIotTestCertificates(dir);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`kvssink-local: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(2);
  },
);
