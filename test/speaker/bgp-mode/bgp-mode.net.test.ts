// BGP mode end to end in network namespaces (prefix mlbg-), with real FRR as the router:
//
//   mlbg-sw (bridge) ── frr 192.0.2.1   2001:db8:0:1::1   AS 64601
//                    ├─ n1  192.0.2.11  2001:db8:0:1::11  my AS 64600 (IPv4, eBGP, MD5) / 64601 (IPv6, iBGP)
//                    ├─ n2  192.0.2.12  2001:db8:0:1::12
//                    └─ n3  192.0.2.13  2001:db8:0:1::13
//
// The control plane is the real one up to the speaker's input: the hooks executable run by the
// addon-operator imitation allocates the Service's IPs and writes values, real helm renders the
// speaker ConfigMap and Secret into the lab store, and lib/bgp/routes.ts (what the Kubernetes
// adapter computes) turns ConfigMap, Secret, Node and Service into each node's BGP desired state.
// The speakers are the real metallb-speaker binary in static mode (--config, reloaded on SIGHUP)
// fed with that state: Kubernetes mode itself needs an API server reachable from the namespaces
// (covered for L2 by test/speaker/kube), which this suite does not add.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { NetnsLab, type NsProcess } from '../../support/netns.ts';
import { Frr, waitUntil } from '../bgp/routers.ts';
import { AddonOperator, chartRenderer, clusterFromYaml, ensureHooksExecutable } from '../../support/addon-operator/index.ts';
import type { JsonObject } from '../../../hooks/lib/types.ts';
import type { KubeObject } from '../../../lab/kube-api/store.ts';
import { projectBgp, type BgpServiceInfo, type SharedBgp } from '../../../lib/bgp/routes.ts';
import type { BgpConfig } from '../../../lib/config/types.ts';

const repo = new URL('../../../', import.meta.url).pathname;
const MD5 = 'mlbg-Secret';
const NODES = ['n1', 'n2', 'n3'] as const;
const addr4 = (n: string) => `192.0.2.1${n.slice(1)}`;
const addr6 = (n: string) => `2001:db8:0:1::1${n.slice(1)}`;

const FRR_CONF = `hostname frr
log stdout informational
router bgp 64601
 bgp router-id 192.0.2.1
 no bgp ebgp-requires-policy
 no bgp default ipv4-unicast
 bgp bestpath as-path multipath-relax
${NODES.map((n) => ` neighbor ${addr4(n)} remote-as 64600
 neighbor ${addr4(n)} timers 1 3
 neighbor ${addr4(n)} password ${MD5}
 neighbor ${addr6(n)} remote-as 64601
 neighbor ${addr6(n)} timers 1 3`).join('\n')}
 address-family ipv4 unicast
  maximum-paths 8
${NODES.map((n) => `  neighbor ${addr4(n)} activate`).join('\n')}
 exit-address-family
 address-family ipv6 unicast
  maximum-paths ibgp 8
${NODES.map((n) => `  neighbor ${addr6(n)} activate`).join('\n')}
 exit-address-family
`;

// The documentation's example shape (deckhouse-metallb.md §6) with documentation ranges, plus an
// iBGP IPv6 peer (LOCAL_PREF is sent on iBGP only) and communities.
const SETTINGS: JsonObject = {
  addressPools: [{
    name: 'mypool', protocol: 'bgp', addresses: ['198.51.100.100-198.51.100.200', '2001:db8:100::/120'],
    'bgp-advertisements': [{ localpref: 150, communities: ['no-advertise', 'large'] }],
  }],
  bgpCommunities: { 'no-advertise': '65535:65282', large: '4200000001:1:2' },
  bgpPeers: [
    { 'peer-address': '192.0.2.1', 'peer-asn': 64601, 'my-asn': 64600, 'hold-time': '3s', password: MD5 },
    { 'peer-address': '2001:db8:0:1::1', 'peer-asn': 64601, 'my-asn': 64601, 'hold-time': '3s' },
  ],
  speaker: { nodeSelector: { 'node-role.deckhouse.io/metallb': '' } },
};

const CLUSTER = `
apiVersion: v1
kind: Namespace
metadata: {name: default}
${NODES.map((n) => `---
apiVersion: v1
kind: Node
metadata: {name: ${n}, labels: {node-role.deckhouse.io/metallb: ""}}`).join('\n')}
---
apiVersion: v1
kind: Node
metadata: {name: worker-1}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: default}
spec:
  type: LoadBalancer
  ipFamilies: [IPv4, IPv6]
  ipFamilyPolicy: RequireDualStack
  selector: {app: web}
  ports: [{port: 80, protocol: TCP}]
`;

describe('BGP mode: hooks -> helm -> speakers -> FRR', { timeout: 180_000 }, () => {
  let lab: NetnsLab;
  let frr: Frr;
  let op: AddonOperator;
  const speakers = new Map<string, NsProcess>();

  /** The ConfigMap's bgp section and the Secret's passwords, as the speaker reads them. */
  function rendered(): { shared: SharedBgp; passwords: Map<number, string> } {
    const cmType = op.store.resolve('ConfigMap', '')!;
    const cm = op.store.get(cmType, 'd8-metallb', 'speaker-config') as KubeObject & { data: Record<string, string> };
    const doc = JSON.parse(cm.data['config.yaml'] as string) as { bgp: SharedBgp };
    const secret = op.store.get(op.store.resolve('Secret', '')!, 'd8-metallb', 'speaker-secrets') as KubeObject & { data?: Record<string, string> };
    const passwords = new Map<number, string>();
    for (const [k, v] of Object.entries(secret.data ?? {})) {
      const m = /^bgp-password-(\d+)$/.exec(k);
      if (m) passwords.set(Number(m[1]), Buffer.from(v, 'base64').toString('utf8'));
    }
    assert.deepEqual(doc.bgp.speakerNodeSelector, { 'node-role.deckhouse.io/metallb': '' });
    return { shared: doc.bgp, passwords };
  }

  /** The Service as the adapter sees it (status written by the hooks), with the given ready endpoints. */
  function serviceInfo(endpointNodes: string[]): BgpServiceInfo[] {
    const t = op.store.resolve('Service', '')!;
    const list = op.store.list(t).items as (KubeObject & { spec: { externalTrafficPolicy?: string }; status?: { loadBalancer?: { ingress?: { ip: string }[] }; conditions?: { type: string; reason: string; message: string }[] } })[];
    return list.flatMap((s) => {
      const c = s.status?.conditions?.find((x) => x.type === 'network.deckhouse.io/load-balancer-class' && x.reason === 'BGPPoolBound');
      if (!c) return [];
      return [{
        namespace: String(s.metadata.namespace), name: String(s.metadata.name), pool: c.message,
        ingressIPs: (s.status?.loadBalancer?.ingress ?? []).map((i) => i.ip),
        externalTrafficPolicy: s.spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
        endpointNodes,
      }];
    });
  }

  /** BgpConfig -> the static file's bgp section (DESIGN §2.1). */
  function staticFile(node: string, bgp: BgpConfig | undefined): string {
    const peers = (bgp?.peers ?? []).map((p) => ({ ...p, holdTime: `${p.holdTimeMs}ms`, holdTimeMs: undefined }));
    return JSON.stringify({ node, ...(bgp ? { bgp: { ...bgp, peers } } : {}) }, null, 1);
  }

  async function feed(endpointNodes: string[]): Promise<void> {
    const { shared, passwords } = rendered();
    const services = serviceInfo(endpointNodes);
    for (const n of NODES) {
      const cfg = join(lab.workDir, `${n}.yaml`);
      const bgp = projectBgp({ name: n, labels: { 'node-role.deckhouse.io/metallb': '' }, internalIPs: [addr4(n), addr6(n)] }, shared, services, passwords);
      writeFileSync(cfg, staticFile(n, bgp));
      const p = speakers.get(n);
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) {
        speakers.set(n, lab.spawn(n, process.execPath, ['--import', 'tsx', join(repo, 'images/speaker/src/main.ts'), '--config', cfg], { name: `${n}-speaker-${Date.now()}` }));
      } else {
        const before = (p.output().match(/configuration reloaded/g) ?? []).length;
        p.kill('SIGHUP');
        await waitUntil(`${n} reloaded`, 10000, () => (p.output().match(/configuration reloaded/g) ?? []).length > before);
      }
    }
  }

  const hops4 = () => frr.kernelNextHops('198.51.100.100').join();
  const hops6 = () => frr.kernelNextHops('2001:db8:100::').join();

  before(async () => {
    op = await AddonOperator.start({ store: clusterFromYaml(CLUSTER), executable: ensureHooksExecutable(), configValues: SETTINGS, helm: chartRenderer(), now: () => new Date('2026-01-01T00:00:00Z') });
    lab = new NetnsLab('mlbg-');
    lab.addSwitch('sw');
    lab.addHost('frr', 'sw', { addrs: ['192.0.2.1/24', '2001:db8:0:1::1/64'] });
    for (const n of NODES) lab.addHost(n, 'sw', { addrs: [`${addr4(n)}/24`, `${addr6(n)}/64`] });
    lab.exec('frr', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1']);
    frr = new Frr(lab, 'frr', FRR_CONF);
    await frr.ready();
  });

  after(async () => {
    if (process.env.BGP_TEST_DEBUG) for (const [n, p] of speakers) console.log(`--- ${n}\n${p.output().slice(-3000)}`);
    op?.dispose();
    await lab?.cleanup();
  });

  test('the hooks give the Service one IP per family from the BGP pool', () => {
    const info = serviceInfo([]);
    assert.deepEqual(info.map((s) => [s.name, s.pool, s.ingressIPs]), [['web', 'mypool', ['198.51.100.100', '2001:db8:100::']]]);
  });

  test('ETP Cluster: every node announces; FRR holds an ECMP route with one next hop per node; communities and local-pref arrive', async () => {
    await feed(['n2']);
    await waitUntil('three IPv4 next hops in FRR\'s kernel', 30000, () => hops4() === '192.0.2.11,192.0.2.12,192.0.2.13');
    await waitUntil('three IPv6 next hops in FRR\'s kernel', 30000, () => hops6() === '2001:db8:0:1::11,2001:db8:0:1::12,2001:db8:0:1::13');
    const p4 = frr.paths('198.51.100.100/32');
    assert.equal(p4.length, 3);
    for (const p of p4) {
      assert.equal(p.aspath?.string, '64600');
      assert.equal(p.community?.string, 'no-advertise');
      assert.equal(p.largeCommunity?.string, '4200000001:1:2');
    }
    const p6 = frr.paths('2001:db8:100::/128');
    assert.equal(p6.length, 3);
    for (const p of p6) assert.equal(p.locPrf, 150, 'LOCAL_PREF on the iBGP session');
  });

  test('ETP Local narrows the next hops to the endpoint nodes and follows them', async () => {
    const svc = op.store.resolve('Service', '')!;
    op.store.patch(svc, 'default', 'web', 'merge', { spec: { externalTrafficPolicy: 'Local' } });
    await op.settle();
    await feed(['n1', 'n3']);
    await waitUntil('next hops n1, n3', 15000, () => hops4() === '192.0.2.11,192.0.2.13' && hops6() === '2001:db8:0:1::11,2001:db8:0:1::13');
    await feed(['n2']);
    await waitUntil('next hop n2 only', 15000, () => hops4() === '192.0.2.12' && hops6() === '2001:db8:0:1::12');
    op.store.patch(svc, 'default', 'web', 'merge', { spec: { externalTrafficPolicy: 'Cluster' } });
    await op.settle();
    await feed(['n2']);
    await waitUntil('three next hops again', 15000, () => hops4() === '192.0.2.11,192.0.2.12,192.0.2.13');
  });

  test('a node\'s loss removes only its next hop', async () => {
    speakers.get('n2')?.kill('SIGKILL');
    await waitUntil('n2 gone after the hold time, n1 and n3 stay', 15000, () => hops4() === '192.0.2.11,192.0.2.13' && hops6() === '2001:db8:0:1::11,2001:db8:0:1::13');
    await feed(['n1']);
    await waitUntil('n2 back', 30000, () => hops4() === '192.0.2.11,192.0.2.12,192.0.2.13');
  });

  test('deleting the Service withdraws its routes', async () => {
    op.store.delete(op.store.resolve('Service', '')!, 'default', 'web');
    await op.settle();
    await feed([]);
    await waitUntil('FRR has no route for the Service any more', 15000, () => frr.paths('198.51.100.100/32').length === 0 && frr.paths('2001:db8:100::/128').length === 0);
    assert.equal(hops4(), '');
    for (const n of NODES) assert.equal(frr.state(addr4(n)), 'Established', 'sessions stay up');
  });
});
