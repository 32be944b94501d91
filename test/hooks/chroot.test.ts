// Deckhouse runs module hooks chrooted: only /usr, /bin, /lib, /lib64, /tmp and a few Deckhouse
// libraries are visible, cwd is /, no /proc and no Node.js. This test builds a chroot with nothing but
// the executable, the libraries `ldd` lists for it (libstdc++ among them) and /tmp, asserts that no
// `node` is inside, and runs the batch protocol there. chroot(2) needs root: skipped otherwise.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ensureHooksExecutable } from '../support/addon-operator/executable.ts';

const isRoot = process.getuid?.() === 0;

/** Every file below `dir`, as paths relative to it. */
function walk(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p, `${prefix}/${name}`) : [`${prefix}/${name}`];
  });
}

describe('hooks executable in a minimal chroot', { skip: isRoot ? false : 'chroot needs root' }, () => {
  let root = '';
  before(() => {
    const exe = ensureHooksExecutable();
    root = mkdtempSync(join(tmpdir(), 'metallb-chroot-'));
    mkdirSync(join(root, 'tmp'));
    mkdirSync(join(root, 'hooks'));
    copyFileSync(exe, join(root, 'hooks', 'metallb-hooks'));
    execFileSync('chmod', ['755', join(root, 'hooks', 'metallb-hooks')]);
    const libs = execFileSync('ldd', [exe]).toString().split('\n')
      .map((l) => /(\/\S+)\s+\(0x/.exec(l)?.[1])
      .filter((p): p is string => p !== undefined);
    assert.ok(libs.some((l) => l.includes('libstdc++')), 'the executable links libstdc++');
    for (const lib of libs) {
      mkdirSync(join(root, dirname(lib)), { recursive: true });
      copyFileSync(lib, join(root, lib));
    }
  });
  after(() => { if (root) rmSync(root, { recursive: true, force: true }); });

  const inChroot = (args: string[], env: NodeJS.ProcessEnv = {}) => spawnSync('/usr/sbin/chroot', [root, '/hooks/metallb-hooks', ...args], { env, cwd: '/' });

  it('holds no node binary', () => {
    const files = walk(root);
    assert.deepEqual(files.filter((f) => /(^|\/)node(js)?$/.test(f)), []);
    assert.ok(files.length < 20, `only the executable and its libraries: ${files.join(' ')}`);
  });

  it('lists and configures the hooks', () => {
    const list = inChroot(['hook', 'list']);
    assert.equal(list.status, 0, list.stderr.toString());
    assert.match(list.stdout.toString(), /^Found [1-9]\d{0,3} items:/);
    const config = inChroot(['hook', 'config']);
    assert.equal(config.status, 0, config.stderr.toString());
    assert.equal((JSON.parse(config.stdout.toString()) as { version: string }).version, 'v1');
  });

  it('runs a hook with addon-operator\'s files in /tmp', () => {
    const f = (n: string): string => `/tmp/${n}`;
    writeFileSync(join(root, f('ctx')), JSON.stringify([{ binding: 'beforeHelm', snapshots: { secret: [] } }]));
    writeFileSync(join(root, f('values')), JSON.stringify({ global: {}, metallb: { internal: {} } }));
    writeFileSync(join(root, f('config')), JSON.stringify({ global: {}, metallb: {} }));
    for (const n of ['vp', 'cvp', 'kp', 'm']) writeFileSync(join(root, f(n)), '');
    const r = inChroot(['hook', 'run', '0'], {
      BINDING_CONTEXT_PATH: f('ctx'), VALUES_PATH: f('values'), CONFIG_VALUES_PATH: f('config'),
      VALUES_JSON_PATCH_PATH: f('vp'), CONFIG_VALUES_JSON_PATCH_PATH: f('cvp'), KUBERNETES_PATCH_PATH: f('kp'), METRICS_PATH: f('m'),
    });
    assert.equal(r.status, 0, r.stderr.toString());
    assert.match(readFileSync(join(root, f('vp')), 'utf8'), /"path":"\/metallb\/internal\/membership"/);
  });
});
