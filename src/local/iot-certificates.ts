/**
 * A throw-away PKI for the local IoT credentials provider, made with the `openssl` command:
 * a CA, a server certificate for the provider (localhost, 127.0.0.1, ::1) and a device
 * certificate (what `aws iot create-keys-and-certificate` gives a camera), all signed by the CA.
 * EC P-256 keys: quick to make on a small machine. For tests and offline trials only.
 */
import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface IotTestCertificates {
  dir: string;
  /** The CA: give it as `ca-path` (it signed the provider's certificate) and to the provider (it signed the device's). */
  caCertPath: string;
  caKeyPath: string;
  /** The provider's TLS certificate and key. */
  serverCertPath: string;
  serverKeyPath: string;
  /** The device certificate and key: `cert-path` and `key-path`. */
  deviceCertPath: string;
  deviceKeyPath: string;
}

export interface IotTestCertificateOptions {
  /** Common name of the CA (default "kvssink-local test CA"). */
  caName?: string;
  /** Common name of the device certificate (default "kvssink-local test device"). */
  deviceName?: string;
  /** Validity, days (default 30). */
  days?: number;
}

async function openssl(args: string[], cwd: string): Promise<void> {
  try {
    await run('openssl', args, { cwd });
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new Error('openssl is not installed (Debian/Ubuntu: apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${e.stderr?.trim() ?? String(err)}`);
  }
}

/** Makes ca.{crt,key}, server.{crt,key} and device.{crt,key} in `dir`. */
export async function createIotTestCertificates(dir: string, o: IotTestCertificateOptions = {}): Promise<IotTestCertificates> {
  await mkdir(dir, { recursive: true });
  const days = String(o.days ?? 30);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await openssl(['req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', days,
    '-subj', `/CN=${o.caName ?? 'kvssink-local test CA'}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
  await writeFile(join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n');
  await writeFile(join(dir, 'device.ext'), 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n');
  for (const [name, cn] of [['server', 'localhost'], ['device', o.deviceName ?? 'kvssink-local test device']] as const) {
    await openssl(['req', ...ec, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
    await openssl(['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
      '-out', `${name}.crt`, '-days', days, '-extfile', `${name}.ext`], dir);
  }
  return {
    dir,
    caCertPath: join(dir, 'ca.crt'),
    caKeyPath: join(dir, 'ca.key'),
    serverCertPath: join(dir, 'server.crt'),
    serverKeyPath: join(dir, 'server.key'),
    deviceCertPath: join(dir, 'device.crt'),
    deviceKeyPath: join(dir, 'device.key'),
  };
}
