// Static speaker configuration (DESIGN §2.1): the design's example parses with the documented
// defaults; each invalid file names the field that is wrong.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, parseStaticConfig } from '../../lib/config/index.ts';

const EXAMPLE = `
node: node1
membership:
  key: "shared-secret"
  address: 192.0.2.11
  peers:
    - {node: node2, address: 192.0.2.12}
    - {node: node3, address: 192.0.2.13}
l2:
  classes:
    - name: ingress
      interfaces: [eth0]
      nodes: [node1, node2, node3]
  services:
    - namespace: default
      name: nginx-deployment
      class: ingress
      ips: [192.0.2.100, 192.0.2.101, "2001:DB8:0::102"]
      externalTrafficPolicy: Cluster
      endpointNodes: [node1, node2, node3]
bgp:
  routerID: 192.0.2.11
  peers:
    - address: 192.0.2.1
      asn: 64512
      myASN: 4200000001
      holdTime: 9s
      password: "md5-key"
      bfd: {receiveInterval: 300ms, transmitInterval: 300ms, detectMultiplier: 3}
  advertisements:
    - prefixes: [198.51.100.10/32, "2001:db8:100::10/128"]
      peers: [192.0.2.1]
      communities: ["65535:65282"]
      largeCommunities: ["4200000001:1:2"]
      localPref: 100
metrics: {address: 127.0.0.1, port: 4231}
`;

test('the DESIGN §2.1 example parses, with defaults filled in and addresses canonical', () => {
  const c = parseStaticConfig(EXAMPLE);
  assert.equal(c.node, 'node1');
  assert.deepEqual({ ...c.membership, key: c.membership?.key.toString() }, {
    key: 'shared-secret', address: '192.0.2.11', port: 4230, intervalMs: 50, multiplier: 6,
    peers: [{ node: 'node2', address: '192.0.2.12' }, { node: 'node3', address: '192.0.2.13' }],
  });
  assert.deepEqual(c.l2?.services[0]?.ips, ['192.0.2.100', '192.0.2.101', '2001:db8::102']);
  assert.deepEqual(c.bgp?.peers[0], {
    address: '192.0.2.1', asn: 64512, myASN: 4200000001, port: 179, holdTimeMs: 9000, password: 'md5-key',
    ebgpMultihop: false, gtsm: false, gracefulRestart: false, bfd: { receiveIntervalMs: 300, transmitIntervalMs: 300, detectMultiplier: 3 },
  });
  assert.deepEqual(c.bgp?.advertisements[0]?.prefixes, ['198.51.100.10/32', '2001:db8:100::10/128']);
  assert.deepEqual(c.metrics, { address: '127.0.0.1', port: 4231 });
});

test('minimal files: bgp only needs no membership; defaults for metrics and BGP timers', () => {
  const c = parseStaticConfig('node: n1\nbgp:\n  peers: [{address: "2001:db8::1", asn: 65000, myASN: 65001}]\n');
  assert.equal(c.membership, undefined);
  assert.equal(c.bgp?.peers[0]?.holdTimeMs, 90_000);
  assert.equal(c.bgp?.peers[0]?.port, 179);
  assert.deepEqual(c.metrics, { address: '127.0.0.1', port: 4231 });
});

test('invalid files name the field', async (t) => {
  const base = 'node: n1\nmembership: {key: k, address: 192.0.2.11}\n';
  const rows: { name: string; yaml: string; path: string; message: RegExp }[] = [
    { name: 'node is required', yaml: 'bgp: {}\n', path: 'node', message: /required/ },
    { name: 'l2 without membership', yaml: 'node: n1\nl2: {classes: []}\n', path: 'membership', message: /required when l2/ },
    { name: 'a bad service IP', yaml: `${base}l2:\n  classes: [{name: c, nodes: [n1]}]\n  services: [{namespace: d, name: s, class: c, ips: [192.0.2.300]}]\n`, path: 'l2.services[0].ips[0]', message: /not an IP address/ },
    { name: 'an unknown class', yaml: `${base}l2:\n  services: [{namespace: d, name: s, class: nope, ips: [192.0.2.1]}]\n`, path: 'l2.services[0].class', message: /no class named/ },
    { name: 'a bad interval', yaml: 'node: n1\nmembership: {key: k, address: 192.0.2.11, interval: fast}\n', path: 'membership.interval', message: /not a duration/ },
    { name: 'a wrong type', yaml: 'node: n1\nmembership: {key: k, address: 192.0.2.11, port: "x"}\n', path: 'membership.port', message: /integer/ },
    { name: 'self listed as a peer', yaml: 'node: n1\nmembership: {key: k, address: 192.0.2.11, peers: [{node: n1, address: 192.0.2.11}]}\n', path: 'membership.peers[0].node', message: /is this node/ },
    { name: 'AS_TRANS', yaml: 'node: n1\nbgp: {peers: [{address: 192.0.2.1, asn: 23456, myASN: 65000}]}\n', path: 'bgp.peers[0].asn', message: /AS_TRANS/ },
    { name: 'a hold time of 2s', yaml: 'node: n1\nbgp: {peers: [{address: 192.0.2.1, asn: 1, myASN: 2, holdTime: 2s}]}\n', path: 'bgp.peers[0].holdTime', message: /at least 3s/ },
    { name: 'a prefix with host bits', yaml: 'node: n1\nbgp: {advertisements: [{prefixes: [198.51.100.10/24]}]}\n', path: 'bgp.advertisements[0].prefixes[0]', message: /host bits/ },
    { name: 'an unquoted-looking community out of range', yaml: 'node: n1\nbgp: {advertisements: [{prefixes: [], communities: ["65536:1"]}]}\n', path: 'bgp.advertisements[0].communities[0]', message: /16-bit/ },
    { name: 'an advertisement naming an unknown peer', yaml: 'node: n1\nbgp: {peers: [], advertisements: [{prefixes: [], peers: [192.0.2.9]}]}\n', path: 'bgp.advertisements[0].peers[0]', message: /not in bgp.peers/ },
    { name: 'a router ID that is not IPv4', yaml: 'node: n1\nbgp: {routerID: "2001:db8::1"}\n', path: 'bgp.routerID', message: /IPv4/ },
    { name: 'not YAML at all', yaml: 'node: [\n', path: '', message: /not YAML/ },
  ];
  for (const r of rows) {
    await t.test(r.name, () => {
      assert.throws(() => parseStaticConfig(r.yaml), (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const p = err.problems.find((x) => x.path === r.path);
        assert.ok(p, `no problem at ${r.path}: ${JSON.stringify(err.problems)}`);
        assert.match(p.message, r.message);
        return true;
      });
    });
  }
});

test('every problem is reported at once', () => {
  assert.throws(() => parseStaticConfig('node: n1\nbgp: {peers: [{address: x, asn: 0, myASN: 23456}]}\n'), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.deepEqual(err.problems.map((p) => p.path).sort(), ['bgp.peers[0].address', 'bgp.peers[0].asn', 'bgp.peers[0].myASN']);
    return true;
  });
});
