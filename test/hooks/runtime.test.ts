// The hook runtime (hooks/lib/): collectors, binding contexts, hook config, and the built
// executable speaking module-sdk's batch protocol from an empty directory with only addon-operator's
// variables in its environment.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkHooks, defineHook, HookDefinitionError, type Hook, type JsonValue } from '../../hooks/lib/index.ts';
import { renderConfig } from '../../hooks/lib/config.ts';
import { runCli } from '../../hooks/lib/cli.ts';
import { runHandler } from '../../hooks/lib/testing.ts';
import { SKIPPED_METRIC } from '../../hooks/lib/run.ts';
import { parseHookConfig } from '../support/addon-operator/hook-config.ts';
import { ensureHooksExecutable } from '../support/addon-operator/executable.ts';

interface NodeRecord { name: string; zone: string }

function projectNode(r: JsonValue): NodeRecord {
  if (typeof r !== 'object' || r === null || Array.isArray(r) || typeof r.name !== 'string') throw new Error('{name} expected');
  return { name: r.name, zone: typeof r.zone === 'string' ? r.zone : '' };
}

const sample = defineHook({
  name: 'sample',
  beforeHelm: 10,
  kubernetes: {
    nodes: { apiVersion: 'v1', kind: 'Node', jqFilter: '{name: .metadata.name, zone: .metadata.labels.zone}', project: projectNode },
    config: { apiVersion: 'v1', kind: 'ConfigMap', namespace: { nameSelector: { matchNames: ['d8-metallb'] } }, nameSelector: { matchNames: ['x'] }, jqFilter: '.data', executeHookOnEvent: false, project: (r) => r },
  },
  handler(input, out) {
    const names = input.snapshots.nodes.map((n) => n.name);
    out.values.set('internal.l2.classes', names.map((name) => ({ name, interfaces: [], nodeSelector: {} })));
    out.values.remove('internal.bgp');
    out.kube.mergePatch({ apiVersion: 'v1', kind: 'Node', name: names[0] ?? 'none' }, { metadata: { labels: { seen: 'yes' } } });
    out.kube.jsonPatch({ apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', name: 'c' }, [{ op: 'add', path: '/status', value: { nodes: 1 } }], { subresource: 'status' });
    out.kube.delete({ apiVersion: 'v1', kind: 'ConfigMap', namespace: 'd8-metallb', name: 'old' }, 'Background');
    out.metrics.set('d8_metallb_nodes', names.length, { zone: 'a' });
    out.events.emit({ regarding: { apiVersion: 'v1', kind: 'Node', name: 'n1' }, type: 'Normal', reason: 'Seen', message: 'seen' });
  },
});

describe('hook runtime: collectors', () => {
  it('emits add/remove values patches under /metallb/ and nothing for unchanged values', async () => {
    const first = await runHandler(sample, { snapshots: { nodes: [{ name: 'n1' }] }, values: { internal: { bgp: { peers: [] } } } });
    assert.deepEqual(first.values, [
      { op: 'add', path: '/metallb/internal/l2', value: { classes: [{ name: 'n1', interfaces: [], nodeSelector: {} }] } },
      { op: 'remove', path: '/metallb/internal/bgp' },
    ]);
    const again = await runHandler(sample, { snapshots: { nodes: [{ name: 'n1' }] }, values: { internal: { l2: { classes: [{ name: 'n1', interfaces: [], nodeSelector: {} }] } } } });
    assert.deepEqual(again.values, []);
  });

  it('writes operations in shell-operator\'s format, Events as core/v1 Events with stable names', async () => {
    const now = new Date('2026-03-01T12:00:00.250Z');
    const a = await runHandler(sample, { snapshots: { nodes: [{ name: 'n1' }] }, now });
    const b = await runHandler(sample, { snapshots: { nodes: [{ name: 'n1' }] }, now });
    assert.deepEqual(a.kube, b.kube, 'deterministic');
    assert.deepEqual(a.kube.slice(0, 3), [
      { operation: 'MergePatch', apiVersion: 'v1', kind: 'Node', name: 'n1', mergePatch: { metadata: { labels: { seen: 'yes' } } } },
      { operation: 'JSONPatch', apiVersion: 'network.deckhouse.io/v1alpha1', kind: 'MetalLoadBalancerClass', name: 'c', subresource: 'status', jsonPatch: [{ op: 'add', path: '/status', value: { nodes: 1 } }] },
      { operation: 'DeleteInBackground', apiVersion: 'v1', kind: 'ConfigMap', namespace: 'd8-metallb', name: 'old' },
    ]);
    const event = a.kube[3]!;
    assert.equal(event.operation, 'CreateIfNotExists');
    const obj = (event as { object: Record<string, unknown> }).object;
    assert.equal(obj.kind, 'Event');
    assert.equal((obj.metadata as { namespace: string }).namespace, 'default');
    assert.match((obj.metadata as { name: string }).name, /^n1\.[0-9a-f]{16}$/);
    assert.equal(obj.firstTimestamp, '2026-03-01T12:00:00Z');
    assert.deepEqual(a.metrics, [{ name: 'd8_metallb_nodes', action: 'set', value: 1, labels: { zone: 'a' } }]);
  });

  it('caps Events per run and logs the rest', async () => {
    const noisy = defineHook({
      name: 'noisy', beforeHelm: 1,
      handler(_input, out) {
        for (let i = 0; i < 25; i++) out.events.emit({ regarding: { apiVersion: 'v1', kind: 'Service', namespace: 'ns', name: `s${i}` }, type: 'Warning', reason: 'X', message: 'y' });
      },
    });
    const r = await runHandler(noisy, { binding: 'beforeHelm' });
    assert.equal(r.kube.length, 20);
    assert.equal(r.logs.filter((l) => l.msg === 'event dropped: too many events in one run').length, 5);
  });

  it('skips a snapshot item whose projection fails, logs it and counts it in a metric', async () => {
    const r = await runHandler(sample, { snapshots: { nodes: [{ name: 'n1' }, 'garbage', { name: 'n2' }] }, values: { internal: {} } });
    assert.deepEqual((r.values[0] as unknown as { value: { classes: { name: string }[] } }).value.classes.map((c) => c.name), ['n1', 'n2']);
    assert.ok(r.logs.some((l) => l.msg === 'snapshot item skipped: unexpected shape' && l.binding === 'nodes'));
    assert.deepEqual(r.metrics.at(-1), { name: SKIPPED_METRIC, action: 'set', value: 1, labels: { binding: 'nodes' } });
  });
});

describe('hook runtime: definitions and config', () => {
  it('rejects a hook list with duplicate names, a binding without jqFilter, a negative order', () => {
    const bad = [
      sample,
      sample,
      defineHook({ name: 'Bad_Name', beforeHelm: -1, kubernetes: { x: { apiVersion: 'v1', kind: 'Node', jqFilter: '', project: (r) => r } }, handler() {} }),
    ] as Hook[];
    assert.throws(() => checkHooks(bad), (err: unknown) => {
      assert.ok(err instanceof HookDefinitionError);
      for (const part of ['duplicate hook name', 'needs a jqFilter', 'kebab-case', 'beforeHelm must be an integer']) assert.match(err.message, new RegExp(part));
      return true;
    });
  });

  it('renders module-sdk HookConfig that the imitation (like addon-operator) accepts', () => {
    const cfg = renderConfig([sample]);
    const [hook] = parseHookConfig(JSON.stringify(cfg));
    assert.equal(hook!.name, 'sample');
    assert.equal(hook!.beforeHelm, 10);
    assert.deepEqual(hook!.kubernetes.map((b) => [b.name, b.executeHookOnEvent, b.keepFullObjectsInMemory]), [['nodes', true, false], ['config', false, false]]);
    assert.deepEqual(hook!.kubernetes[1]!.namespaces, ['d8-metallb']);
  });

  it('CLI: list, config, and non-zero for anything else', async () => {
    const io = () => { const o = { out: '', err: '' }; return { o, io: { stdout: (s: string) => { o.out += s; }, stderr: (s: string) => { o.err += s; } } }; };
    const l = io();
    assert.equal(await runCli([sample], ['hook', 'list'], {}, l.io), 0);
    assert.equal(l.o.out, 'Found 1 items:\n0 - sample\n');
    for (const argv of [[], ['--config'], ['hook'], ['hook', 'list', 'x'], ['hook', 'run'], ['hook', 'run', '1'], ['hook', 'run', '-1'], ['hook', 'run', '01'], ['hook', 'ready'], ['run', '0']]) {
      const x = io();
      assert.notEqual(await runCli([sample], argv, {}, x.io), 0, argv.join(' '));
      assert.equal(x.o.out, '', `nothing on stdout for ${argv.join(' ')}`);
    }
  });
});

describe('hooks executable (batch protocol)', () => {
  let exe = '';
  let dir = '';
  before(() => {
    exe = ensureHooksExecutable();
    dir = mkdtempSync(join(tmpdir(), 'metallb-hooks-cli-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('hook list prints "Found N items:" with an empty environment', () => {
    const r = spawnSync(exe, ['hook', 'list'], { env: {}, cwd: '/' });
    assert.equal(r.status, 0);
    assert.match(r.stdout.toString(), /^Found [1-9]\d{0,3} items:\n0 - membership-key\n/);
  });

  it('hook config is valid for addon-operator', () => {
    const r = spawnSync(exe, ['hook', 'config'], { env: {}, cwd: '/' });
    assert.equal(r.status, 0, r.stderr.toString());
    const hooks = parseHookConfig(r.stdout.toString());
    assert.ok(hooks.length >= 1);
    for (const h of hooks) for (const b of h.kubernetes) assert.ok(b.jqFilter, `${h.name}/${b.name} has a jqFilter`);
  });

  it('any other argument list exits non-zero without "Found"', () => {
    for (const argv of [[], ['--config'], ['hook', 'run'], ['hook', 'run', '999'], ['help']]) {
      const r = spawnSync(exe, argv, { env: {}, cwd: '/' });
      assert.notEqual(r.status, 0, argv.join(' '));
      assert.doesNotMatch(r.stdout.toString(), /Found/);
    }
  });

  it('hook run 0 works from an empty directory with only addon-operator\'s variables', () => {
    const cwd = join(dir, 'empty');
    mkdirSync(cwd);
    const f = (n: string): string => join(dir, n);
    writeFileSync(f('ctx'), JSON.stringify([{ binding: 'beforeHelm', snapshots: { secret: [] } }]));
    writeFileSync(f('values'), JSON.stringify({ global: {}, metallb: { internal: {} } }));
    writeFileSync(f('config'), JSON.stringify({ global: {}, metallb: {} }));
    for (const n of ['vp', 'cvp', 'kp', 'm']) writeFileSync(f(n), '');
    const env = {
      BINDING_CONTEXT_PATH: f('ctx'), VALUES_PATH: f('values'), CONFIG_VALUES_PATH: f('config'),
      VALUES_JSON_PATCH_PATH: f('vp'), CONFIG_VALUES_JSON_PATCH_PATH: f('cvp'), KUBERNETES_PATCH_PATH: f('kp'), METRICS_PATH: f('m'),
      METALLB_HOOKS_STATE_DIR: dir,
    };
    const r = spawnSync(exe, ['hook', 'run', '0'], { env, cwd });
    assert.equal(r.status, 0, r.stderr.toString());
    const patch = readFileSync(f('vp'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { op: string; path: string; value: { key: string } });
    assert.equal(patch.length, 1);
    assert.equal(patch[0]!.op, 'add');
    assert.equal(patch[0]!.path, '/metallb/internal/membership');
    assert.match(patch[0]!.value.key, /^[A-Za-z0-9+/]{43}=$/);
    // A missing variable is a clear failure, not a crash with a stack trace.
    const { METRICS_PATH: _m, ...partial } = env;
    const bad = spawnSync(exe, ['hook', 'run', '0'], { env: partial, cwd });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr.toString(), /METRICS_PATH is not set/);
  });
});

describe('hook runtime: state directory', () => {
  it('writes only on commit, atomically, per hook and key; a corrupt file reads as absent', async () => {
    const { openState } = await import('../../hooks/lib/state.ts');
    const dir = mkdtempSync(join(tmpdir(), 'metallb-state-'));
    try {
      const logs: string[] = [];
      const log = { info: () => {}, warn: (m: string) => { logs.push(m); } };
      const s = openState(dir, 'l2-services', log);
      s.write('recent-writes', { 'default/web': ['192.0.2.1'] });
      assert.deepEqual(s.read('recent-writes'), { 'default/web': ['192.0.2.1'] }, 'a run reads its own writes');
      assert.equal(openState(dir, 'l2-services', log).read('recent-writes'), undefined, 'nothing on disk before commit');
      s.commit();
      assert.deepEqual(openState(dir, 'l2-services', log).read('recent-writes'), { 'default/web': ['192.0.2.1'] });
      assert.equal(openState(dir, 'other-hook', log).read('recent-writes'), undefined, 'per hook');
      writeFileSync(join(dir, 'metallb-hooks.l2-services.recent-writes.json'), '{broken');
      assert.equal(openState(dir, 'l2-services', log).read('recent-writes'), undefined);
      assert.deepEqual(logs, ['state file unreadable, ignored']);
      assert.throws(() => s.write('../escape', 1), /invalid state key/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
