import { test } from 'node:test';
import assert from 'node:assert/strict';
import { allocate, poolSize, resolvePools } from '../../lib/ipam/index.ts';
import { formatIP, parseIP } from '../../lib/net/index.ts';
import { ips, pool, req, share } from './helpers.ts';

const P = pool('p', ['192.168.2.100-192.168.2.150']);

test('the documentation example: three IPs, the lowest free, in index order', () => {
  const a = allocate([P], [req('default/nginx-deployment', { count: 3 })]);
  assert.deepEqual(ips(a, 'default/nginx-deployment'), ['192.168.2.100', '192.168.2.101', '192.168.2.102']);
  assert.equal(a.inUse.get('p'), 3);
});

test('held addresses are kept and new ones take the lowest free address', () => {
  const a = allocate([P], [
    req('a', { current: ['192.168.2.101'] }),
    req('b', { count: 2 }),
  ]);
  assert.deepEqual(ips(a, 'a'), ['192.168.2.101']);
  assert.deepEqual(ips(a, 'b'), ['192.168.2.100', '192.168.2.102']);
  assert.deepEqual(a.results.get('a')?.kept.map(formatIP), ['192.168.2.101']);
  assert.deepEqual(a.results.get('b')?.allocated.map(formatIP), ['192.168.2.100', '192.168.2.102']);
});

test('a lower count releases the highest indexes; a higher count adds addresses', () => {
  const a = allocate([P], [
    req('down', { count: 1, current: ['192.168.2.110', '192.168.2.111'] }),
    req('up', { count: 2, current: ['192.168.2.120'] }),
  ]);
  assert.deepEqual(ips(a, 'down'), ['192.168.2.110']);
  assert.deepEqual(a.results.get('down')?.released.map(formatIP), ['192.168.2.111']);
  assert.deepEqual(ips(a, 'up'), ['192.168.2.120', '192.168.2.100']);
});

test('an exhausted pool assigns what it can and names PoolExhausted for the rest', () => {
  const small = pool('p', ['192.0.2.1-192.0.2.2']);
  const a = allocate([small], [req('a', { count: 3 })]);
  assert.deepEqual(ips(a, 'a'), ['192.0.2.1', '192.0.2.2', '-PoolExhausted']);
  assert.match(a.results.get('a')?.slots[2]?.failure?.detail ?? '', /no free IPv4 address in pool p/);
});

test('a pinned address is taken at its index; the others are automatic', () => {
  const a = allocate([P], [req('a', { count: 3, pins: ['192.168.2.140'] })]);
  assert.deepEqual(ips(a, 'a'), ['192.168.2.140', '192.168.2.100', '192.168.2.101']);
});

test('a pin outside the pool leaves its index empty with RequestedIPNotInPool', () => {
  const a = allocate([P], [req('a', { count: 2, pins: ['10.0.0.1'] })]);
  assert.deepEqual(ips(a, 'a'), ['-RequestedIPNotInPool', '192.168.2.100']);
  assert.match(a.results.get('a')?.slots[0]?.failure?.detail ?? '', /10\.0\.0\.1 is not in pool p/);
});

test('a pin held by another Service fails with RequestedIPInUse and the holder keeps it', () => {
  const a = allocate([P], [
    req('holder', { current: ['192.168.2.100'] }),
    req('pinner', { pins: ['192.168.2.100'] }),
  ]);
  assert.deepEqual(ips(a, 'holder'), ['192.168.2.100']);
  assert.deepEqual(ips(a, 'pinner'), ['-RequestedIPInUse']);
  assert.match(a.results.get('pinner')?.slots[0]?.failure?.detail ?? '', /held by holder/);
});

test('pins are served before automatic choices of earlier Services', () => {
  const a = allocate([P], [req('auto'), req('pinner', { pins: ['192.168.2.100'] })]);
  assert.deepEqual(ips(a, 'pinner'), ['192.168.2.100']);
  assert.deepEqual(ips(a, 'auto'), ['192.168.2.101']);
});

test('a changed pin moves the address to the new pin', () => {
  const a = allocate([P], [req('a', { current: ['192.168.2.100'], pins: ['192.168.2.130'] })]);
  assert.deepEqual(ips(a, 'a'), ['192.168.2.130']);
  assert.deepEqual(a.results.get('a')?.released.map(formatIP), ['192.168.2.100']);
});

test('an address matching a pin keeps its pinned index even when status lists it later', () => {
  const a = allocate([P], [req('a', { count: 2, current: ['192.168.2.105', '192.168.2.130'], pins: ['192.168.2.130'] })]);
  assert.deepEqual(ips(a, 'a'), ['192.168.2.130', '192.168.2.105']);
  assert.equal(a.results.get('a')?.released.length, 0);
});

test('Services with one key and distinct ports share addresses index by index', () => {
  const a = allocate([P], [
    req('web', { count: 2, sharing: share('k', ['TCP/80']) }),
    req('tls', { count: 3, sharing: share('k', ['TCP/443']) }),
  ]);
  assert.deepEqual(ips(a, 'web'), ['192.168.2.100', '192.168.2.101']);
  assert.deepEqual(ips(a, 'tls'), ['192.168.2.100', '192.168.2.101', '192.168.2.102']);
  assert.equal(a.inUse.get('p'), 3);
});

test('the same port on another protocol does not clash', () => {
  const a = allocate([P], [
    req('dns-udp', { sharing: share('dns', ['UDP/53']) }),
    req('dns-tcp', { sharing: share('dns', ['TCP/53']) }),
  ]);
  assert.deepEqual(ips(a, 'dns-tcp'), ips(a, 'dns-udp'));
});

test('clashing ports under one key give SharingConflict, and the first holder keeps the address', () => {
  const a = allocate([P], [
    req('one', { sharing: share('k', ['TCP/80']) }),
    req('two', { sharing: share('k', ['TCP/80']) }),
  ]);
  assert.deepEqual(ips(a, 'one'), ['192.168.2.100']);
  assert.deepEqual(ips(a, 'two'), ['-SharingConflict']);
  assert.match(a.results.get('two')?.slots[0]?.failure?.detail ?? '', /ports TCP\/80 clash/);
});

test('Local Services with different selectors may not share', () => {
  const a = allocate([P], [
    req('one', { sharing: share('k', ['TCP/80'], 'app=a') }),
    req('two', { sharing: share('k', ['TCP/443'], 'app=b') }),
  ]);
  assert.deepEqual(ips(a, 'two'), ['-SharingConflict']);
});

test('a Service without the key never gets a shared address', () => {
  const a = allocate([P], [req('one', { sharing: share('k', ['TCP/80']) }), req('two')]);
  assert.deepEqual(ips(a, 'two'), ['192.168.2.101']);
});

test('a pin on an address shared under the same key joins it', () => {
  const a = allocate([P], [
    req('one', { current: ['192.168.2.120'], sharing: share('k', ['TCP/80']) }),
    req('two', { pins: ['192.168.2.120'], sharing: share('k', ['TCP/443']) }),
  ]);
  assert.deepEqual(ips(a, 'two'), ['192.168.2.120']);
});

test('a pin on a same-key address with clashing ports is a SharingConflict', () => {
  const a = allocate([P], [
    req('one', { current: ['192.168.2.120'], sharing: share('k', ['TCP/80']) }),
    req('two', { pins: ['192.168.2.120'], sharing: share('k', ['TCP/80']) }),
  ]);
  assert.deepEqual(ips(a, 'two'), ['-SharingConflict']);
});

test('two Services claiming one address in status: the earlier keeps it, the later gets another', () => {
  const a = allocate([P], [req('first', { current: ['192.168.2.120'] }), req('second', { current: ['192.168.2.120'] })]);
  assert.deepEqual(ips(a, 'first'), ['192.168.2.120']);
  assert.deepEqual(ips(a, 'second'), ['192.168.2.100']);
  assert.deepEqual(a.results.get('second')?.released.map(formatIP), ['192.168.2.120']);
});

test('a pool shrunk below a held address frees it and the Service gets a new one', () => {
  const shrunk = pool('p', ['192.168.2.100-192.168.2.110']);
  const a = allocate([shrunk], [req('a', { count: 2, current: ['192.168.2.105', '192.168.2.140'] })]);
  assert.deepEqual(ips(a, 'a'), ['192.168.2.105', '192.168.2.100']);
  assert.deepEqual(a.results.get('a')?.released.map(formatIP), ['192.168.2.140']);
});

test('dual stack: N per family, IPv4 and IPv6 each from its own ranges', () => {
  const ds = pool('p', ['192.0.2.10-192.0.2.20', '2001:db8::/64']);
  const a = allocate([ds], [req('a', { families: [4, 6], count: 2 })]);
  assert.deepEqual(ips(a, 'a'), ['192.0.2.10', '192.0.2.11', '2001:db8::', '2001:db8::1']);
});

test('dual stack pins: the i-th address of a family pins that family\'s index i', () => {
  const ds = pool('p', ['192.0.2.10-192.0.2.20', '2001:db8::/64']);
  const a = allocate([ds], [req('a', { families: [4, 6], count: 2, pins: ['2001:db8::99', '192.0.2.15'] })]);
  assert.deepEqual(ips(a, 'a'), ['192.0.2.15', '192.0.2.10', '2001:db8::99', '2001:db8::']);
});

test('a family the pool lacks is reported, the other family is served', () => {
  const a = allocate([P], [req('a', { families: [4, 6] })]);
  assert.deepEqual(ips(a, 'a'), ['192.168.2.100', '-PoolExhausted']);
  assert.match(a.results.get('a')?.slots[1]?.failure?.detail ?? '', /no IPv6 addresses/);
});

test('a huge IPv6 pool costs the same as a small one', () => {
  const huge = pool('p', ['2001:db8::/32']);
  assert.equal(poolSize(huge), 1n << 96n);
  const a = allocate([huge], [req('a', { families: [6], count: 3, current: ['2001:db8::1'] })]);
  assert.deepEqual(ips(a, 'a'), ['2001:db8::1', '2001:db8::', '2001:db8::2']);
});

test('avoidBuggyIPs skips .0 and .255 and counts without them', () => {
  const p = pool('p', ['192.0.2.255-192.0.3.1'], { avoidBuggyIPs: true });
  assert.equal(poolSize(p), 1n); // .255, 3.0 avoided; 3.1 left
  const a = allocate([p], [req('a', { count: 2 })]);
  assert.deepEqual(ips(a, 'a'), ['192.0.3.1', '-PoolExhausted']);
  assert.equal(poolSize(pool('p', ['198.18.0.0/15'], { avoidBuggyIPs: true })), 131072n - 2n * 512n);
});

test('a pool with autoAssign false hands out pinned addresses only', () => {
  const manual = pool('p', ['192.0.2.0/24'], { autoAssign: false });
  const a = allocate([manual], [req('a', { count: 2, pins: ['192.0.2.7'] })]);
  assert.deepEqual(ips(a, 'a'), ['192.0.2.7', '-PoolExhausted']);
});

test('blockNew keeps held addresses and fails the new ones with its reason', () => {
  const blocked = { reason: 'NoEligibleNodes' as const, detail: 'class ingress matches no node' };
  const a = allocate([P], [req('a', { count: 2, current: ['192.168.2.120'], blockNew: blocked })]);
  assert.deepEqual(ips(a, 'a'), ['192.168.2.120', '-NoEligibleNodes']);
});

test('overlapping pools: the later pool loses the contested addresses and names the earlier', () => {
  const [first, second] = resolvePools([
    { name: 'old', addresses: ['192.0.2.0/28'] },
    { name: 'new', addresses: ['192.0.2.8-192.0.2.20', 'not-an-address'] },
  ]);
  assert.deepEqual(second?.overlapsWith, ['old']);
  assert.deepEqual(second?.invalidEntries, ['not-an-address']);
  assert.equal(poolSize(first!.spec), 16n);
  assert.equal(poolSize(second!.spec), 5n);
  const a = allocate([first!.spec, second!.spec], [req('x', { pool: 'new', pins: ['192.0.2.9'] }), req('y', { pool: 'new' })]);
  assert.deepEqual(ips(a, 'x'), ['-RequestedIPNotInPool']);
  assert.deepEqual(ips(a, 'y'), ['192.0.2.16']);
});

test('an address held under another pool is never handed out again, even by an overlapping pool', () => {
  const a1 = pool('a', ['192.0.2.0/30']);
  const b1 = pool('b', ['192.0.2.0/30']); // deliberately unresolved overlap
  const a = allocate([a1, b1], [req('x', { pool: 'a', current: ['192.0.2.0'] }), req('y', { pool: 'b' })]);
  assert.deepEqual(ips(a, 'y'), ['192.0.2.1']);
  assert.equal(parseIP('192.0.2.1').family, 4);
});

test('a kept address compacted to a lower index joins its sharing group there (same index next run)', () => {
  const p2 = pool('p', ['192.0.2.16-192.0.2.17']);
  const k = share('k1', []);
  const first = allocate([p2], [
    req('a', { count: 2, current: ['192.0.2.21', '192.0.2.22'], sharing: k }),
    req('e', { count: 3, current: ['192.0.2.23', '192.0.2.24', '192.0.2.16'], sharing: k }),
  ]);
  assert.deepEqual(ips(first, 'a'), ['192.0.2.16', '192.0.2.17']);
  assert.deepEqual(ips(first, 'e'), ['192.0.2.16', '192.0.2.17', '-PoolExhausted']);
  const again = allocate([p2], [
    req('a', { count: 2, current: ['192.0.2.16', '192.0.2.17'], sharing: k }),
    req('e', { count: 3, current: ['192.0.2.16', '192.0.2.17'], sharing: k }),
  ]);
  assert.deepEqual([again.results.get('a')?.allocated, again.results.get('e')?.allocated], [[], []]);
});
