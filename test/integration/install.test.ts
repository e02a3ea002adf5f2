/**
 * The installed layout works on its own: scripts/install-system stages an install under a
 * temporary DESTDIR, and gst-inspect-1.0 and a pipeline find the element through that plugin
 * directory only. The worker they start is the staged one (found relative to the plugin, not
 * through the build tree) and it runs outside the repository, so without its node_modules.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalKvs, type LocalKvs } from '../../src/local/server.js';
import { gstEnv, gstLaunch, h264TestSource, kvsSink, REPO_ROOT, run, tempDir } from './gst.js';

const FRAMES = 60;

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name));
}

describe('scripts/install-system into a DESTDIR', () => {
  let destdir: string;
  let pluginDir: string;
  let env: NodeJS.ProcessEnv;
  let kvs: LocalKvs;

  beforeAll(async () => {
    destdir = tempDir('install');
    const r = await run('bash', [join(REPO_ROOT, 'scripts', 'install-system'), '--prefix', '/usr', '--destdir', destdir],
      { timeoutMs: 110_000 });
    if (r.code !== 0) throw new Error(`install-system failed (${r.code}):\n${r.stderr}`);
    const plugin = listFiles(destdir).find((f) => f.endsWith('/libgstkvssink.so'));
    if (!plugin) throw new Error(`no libgstkvssink.so under ${destdir}`);
    pluginDir = join(plugin, '..');
    kvs = await startLocalKvs({ dataDir: tempDir('install-data') });
    // Only the staged plugin directory; no override of the worker, the addon or node.
    env = gstEnv({ GST_PLUGIN_PATH: pluginDir, GST_REGISTRY: join(destdir, 'registry.bin'),
      AWS_ENDPOINT_URL_KINESIS_VIDEO: kvs.url, GST_DEBUG: 'kvssink:4' });
    for (const name of ['KVSSINK_WORKER_SCRIPT', 'KVSSINK_ADDON', 'KVSSINK_NODE']) delete env[name];
  });

  afterAll(async () => {
    await kvs?.close();
  });

  it('puts the plugin in GStreamer\'s plugin directory and the worker beside it in libexec/kvssink', async () => {
    const systemDir = (await run('pkg-config', ['--variable=pluginsdir', 'gstreamer-1.0'])).stdout.trim();
    expect(existsSync(join(destdir, systemDir, 'libgstkvssink.so'))).toBe(true);
    for (const f of ['kvssink-worker.mjs', 'kvssink_ring.node', 'kvssink-local.mjs']) {
      expect(existsSync(join(destdir, 'usr', 'libexec', 'kvssink', f)), f).toBe(true);
    }
    expect(realpathSync(join(destdir, 'usr', 'bin', 'kvssink-local')))
      .toBe(realpathSync(join(destdir, 'usr', 'libexec', 'kvssink', 'kvssink-local.mjs')));
    expect(listFiles(destdir).some((f) => f.includes('node_modules'))).toBe(false);
  });

  it('gst-inspect-1.0 finds kvssink in the staged plugin directory', async () => {
    const r = await run('gst-inspect-1.0', ['kvssink'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(new RegExp(`Filename\\s+${pluginDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
  });

  it('streams through the staged worker, found relative to the plugin', async () => {
    const r = await gstLaunch(`${h264TestSource(FRAMES)} ! ${kvsSink('installed')}`, env);
    expect(r.code, r.stderr.slice(-2000)).toBe(0);
    const started = /worker started: pid \d+ \(\S+ (\S+)\)/.exec(r.stderr);
    expect(started, 'worker start logged').not.toBeNull();
    expect(realpathSync(started![1])).toBe(realpathSync(join(destdir, 'usr', 'libexec', 'kvssink', 'kvssink-worker.mjs')));
    expect(kvs.getFragments('installed').reduce((n, f) => n + f.frameCount, 0)).toBe(FRAMES);
  });

  it('--uninstall removes every installed file', async () => {
    const manifest = join(destdir, 'usr', 'libexec', 'kvssink', 'installed-files');
    expect(readFileSync(manifest, 'utf8')).toContain('libgstkvssink.so');
    const r = await run('bash', [join(REPO_ROOT, 'scripts', 'install-system'), '--uninstall', '--prefix', '/usr',
      '--destdir', destdir]);
    expect(r.code, r.stderr).toBe(0);
    expect(listFiles(destdir).filter((f) => !f.endsWith('registry.bin'))).toEqual([]);
  });
});
