// The membership-key hook (hooks/membership-key.ts): the pure decision, the handler, and the built
// executable run by the addon-operator imitation with the real chart rendered by real helm (the
// Secret d8-metallb/speaker-secrets comes from templates/speaker/secret.yaml).
import { describe, it, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import membershipKey, { decideMembershipKeys, ROTATION_ANNOTATION, type SecretRecord } from '../../hooks/membership-key.ts';
import { runHandler } from '../../hooks/lib/testing.ts';
import type { JsonObject } from '../../hooks/lib/types.ts';
import { AddonOperator, chartRenderer, clusterFromYaml, ensureHooksExecutable } from '../support/addon-operator/index.ts';
import type { ObjectStore } from '../../lab/kube-api/store.ts';

const K1 = Buffer.alloc(32, 1).toString('base64');
const K2 = Buffer.alloc(32, 2).toString('base64');
const K3 = Buffer.alloc(32, 3).toString('base64');
const KEY = /^[A-Za-z0-9+/]{43}=$/;
let counter = 0;
const generate = (): string => Buffer.alloc(32, 100 + counter++).toString('base64');

function secret(key: string | null, request: string | null = null, previousKey: string | null = null): SecretRecord {
  return { key, previousKey, request };
}

describe('membership key: decision', () => {
  const cases: { name: string; values: JsonObject; secret?: SecretRecord; key: string | 'new'; previousKey?: string | 'new'; clear: boolean }[] = [
    { name: 'first install: a new key', values: {}, key: 'new', clear: false },
    { name: 'values hold the key: kept, the Secret not yet rendered', values: { internal: { membership: { key: K1 } } }, key: K1, clear: false },
    { name: 'after a restart: read back from the Secret', values: {}, secret: secret(K1), key: K1, clear: false },
    { name: 'after a restart during a change: both keys read back', values: {}, secret: secret(K2, null, K1), key: K2, previousKey: K1, clear: false },
    { name: 'values win over a hand-edited Secret (helm renders values)', values: { internal: { membership: { key: K1 } } }, secret: secret(K2), key: K1, clear: false },
    { name: 'a malformed key in the Secret is replaced', values: {}, secret: secret('short'), key: 'new', clear: false },
    { name: 'rotate: the key becomes previousKey, a new key', values: { internal: { membership: { key: K1 } } }, secret: secret(K1, 'rotate'), key: 'new', previousKey: K1, clear: true },
    { name: 'rotate waits until the Secret shows the current key', values: { internal: { membership: { key: K2, previousKey: K1 } } }, secret: secret(K1, 'rotate'), key: K2, previousKey: K1, clear: false },
    { name: 'drop-previous removes previousKey', values: { internal: { membership: { key: K2, previousKey: K1 } } }, secret: secret(K2, 'drop-previous', K1), key: K2, clear: true },
    { name: 'an unknown request is ignored (and logged)', values: { internal: { membership: { key: K3 } } }, secret: secret(K3, 'please'), key: K3, clear: false },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const d = decideMembershipKeys(c.values, c.secret, generate);
      if (c.key === 'new') assert.ok(![K1, K2, K3].includes(d.keys.key) && KEY.test(d.keys.key));
      else assert.equal(d.keys.key, c.key);
      if (c.previousKey === undefined) assert.equal(d.keys.previousKey, undefined);
      else assert.equal(d.keys.previousKey, c.previousKey);
      assert.equal(d.clearRequest, c.clear);
    });
  }
});

describe('membership key: handler', () => {
  it('writes the key once; the same state again emits nothing', async () => {
    const first = await runHandler(membershipKey, { values: { internal: {} }, seed: 'a' });
    assert.equal(first.values.length, 1);
    const value = (first.values[0] as { value: JsonObject }).value;
    const again = await runHandler(membershipKey, { values: { internal: { membership: value } }, seed: 'b' });
    assert.deepEqual([again.values, again.kube, again.metrics], [[], [], []]);
  });

  it('clears the request annotation when it rotates', async () => {
    const data = { key: Buffer.from(K1).toString('base64'), previousKey: null, request: 'rotate' };
    const r = await runHandler(membershipKey, { values: { internal: { membership: { key: K1 } } }, snapshots: { secret: [data] } });
    assert.deepEqual(r.kube, [{
      operation: 'MergePatch', apiVersion: 'v1', kind: 'Secret', namespace: 'd8-metallb', name: 'speaker-secrets',
      ignoreMissingObject: true, mergePatch: { metadata: { annotations: { [ROTATION_ANNOTATION]: null } } },
    }]);
    assert.equal(((r.values[0] as { value: JsonObject }).value).previousKey, K1);
  });
});

// The Secret is rendered only while the speaker has work (a class or BGP pools). A class and a
// node are in the cluster for the hooks that compute that; the static value stands in until they land.
const FIXTURE = `
apiVersion: v1
kind: Namespace
metadata: {name: d8-metallb}
---
apiVersion: v1
kind: Node
metadata: {name: node1, labels: {node-role.kubernetes.io/loadbalancer: ""}}
---
apiVersion: network.deckhouse.io/v1alpha1
kind: MetalLoadBalancerClass
metadata: {name: ingress}
spec:
  addressPool: [192.0.2.100-192.0.2.150]
  isDefault: true
  nodeSelector: {node-role.kubernetes.io/loadbalancer: ""}
  type: L2
`;
const staticValues = { internal: { speaker: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'node-role.kubernetes.io/loadbalancer', operator: 'In', values: [''] }] }] } } };

function secretIn(store: ObjectStore): { data: Record<string, string>; annotations: Record<string, string> } {
  const s = store.get(store.resolve('Secret', '')!, 'd8-metallb', 'speaker-secrets');
  return { data: (s.data ?? {}) as Record<string, string>, annotations: s.metadata.annotations ?? {} };
}

function decoded(store: ObjectStore, file: string): string | undefined {
  const v = secretIn(store).data[file];
  return v === undefined ? undefined : Buffer.from(v, 'base64').toString();
}

function membership(op: AddonOperator): { key?: string; previousKey?: string } {
  return ((op.values().internal as JsonObject).membership ?? {}) as { key?: string; previousKey?: string };
}

async function annotate(op: AddonOperator, value: string): Promise<void> {
  op.store.patch(op.store.resolve('Secret', '')!, 'd8-metallb', 'speaker-secrets', 'merge', { metadata: { annotations: { [ROTATION_ANNOTATION]: value } } });
  await op.settle();
}

describe('membership key: through addon-operator (built executable, real helm chart)', () => {
  const operators: AddonOperator[] = [];
  const start = async (store: ObjectStore, delayWatchEvents = false): Promise<AddonOperator> => {
    const op = await AddonOperator.start({ store, executable: ensureHooksExecutable(), helm: chartRenderer(), staticValues, delayWatchEvents });
    operators.push(op);
    return op;
  };
  afterEach(() => { for (const op of operators.splice(0)) op.dispose(); });

  it('generates the key once, renders it into the Secret, and the next runs change nothing', async () => {
    const op = await start(clusterFromYaml(FIXTURE));
    const { key } = membership(op);
    assert.match(key ?? '', KEY);
    assert.equal(decoded(op.store, 'membership-key'), key);
    const own = (r: { hook: string }): boolean => r.hook === 'membership-key';
    const patching = op.runs.filter((r) => own(r) && r.valuesPatch.length > 0);
    assert.equal(patching.length, 1, 'one values patch of this hook in the whole start');
    const before = op.runs.length;
    await op.restart(); // same store: the Secret is there
    assert.equal(membership(op).key, key, 'kept across a restart of addon-operator (read back from the Secret)');
    // Values patches live in addon-operator's memory: after the restart the hook writes the same key again.
    assert.ok(op.runs.slice(before).filter(own).every((r) => r.kubeOperations.length === 0), 'no operations from this hook after the restart');
  });

  it('a deliberate rotation moves the key to previousKey, then drop-previous removes it', async () => {
    const op = await start(clusterFromYaml(FIXTURE));
    const k1 = membership(op).key!;
    await annotate(op, 'rotate');
    const rotated = membership(op);
    assert.equal(rotated.previousKey, k1);
    assert.notEqual(rotated.key, k1);
    assert.match(rotated.key ?? '', KEY);
    assert.equal(decoded(op.store, 'membership-key'), rotated.key);
    assert.equal(decoded(op.store, 'membership-key-previous'), k1);
    assert.equal(secretIn(op.store).annotations[ROTATION_ANNOTATION], undefined, 'request cleared');
    await op.settle();
    assert.deepEqual(membership(op), rotated, 'stable afterwards');

    await annotate(op, 'drop-previous');
    assert.deepEqual(membership(op), { key: rotated.key });
    assert.equal(decoded(op.store, 'membership-key-previous'), undefined, 'helm removed the previous key from the Secret');
    assert.equal(secretIn(op.store).annotations[ROTATION_ANNOTATION], undefined);
  });

  it('rotates exactly once when the informer cache lags behind the hook\'s own writes', async () => {
    const op = await start(clusterFromYaml(FIXTURE), true);
    const k1 = membership(op).key!;
    const runsBefore = op.runs.length;
    await annotate(op, 'rotate');
    const after = membership(op);
    assert.equal(after.previousKey, k1);
    // Some run after the rotation saw the stale Secret (annotation still there, old key): it must not rotate again.
    const stale = op.runs.slice(runsBefore).filter((r) => r.hook === 'membership-key' && JSON.stringify(r.contexts).includes('"request":"rotate"'));
    assert.ok(stale.length >= 2, `the lag was exercised (${stale.length} runs saw the request)`);
    const rotations = op.runs.slice(runsBefore).filter((r) => r.hook === 'membership-key' && r.valuesPatch.some((p) => p.op === 'add' && JSON.stringify(p).includes('previousKey')));
    assert.equal(rotations.length, 1);
  });

  it('a malformed key in the Secret is replaced by a valid one after a restart', async () => {
    const op = await start(clusterFromYaml(FIXTURE));
    op.store.patch(op.store.resolve('Secret', '')!, 'd8-metallb', 'speaker-secrets', 'merge', { data: { 'membership-key': Buffer.from('not-a-key').toString('base64') } });
    await op.restart();
    assert.match(membership(op).key ?? '', KEY);
    assert.equal(decoded(op.store, 'membership-key'), membership(op).key);
    assert.ok(op.runs.some((r) => r.stderr.includes('malformed membership-key')));
  });
});
