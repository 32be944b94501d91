// The fixture itself: a switch and two hosts can ping each other, processes are tracked by PID and
// cleanup removes every namespace, also when a process is still running.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { NetnsLab, listNamespaces } from './netns.ts';

test('two hosts on a bridge reach each other over IPv4 and IPv6, and cleanup removes everything', async () => {
  const lab = new NetnsLab('mlb2f-');
  try {
    lab.addSwitch('sw');
    lab.addHost('a', 'sw', { mac: '02:00:00:00:0f:01', addrs: ['192.0.2.1/24', '2001:db8:f::1/64'] });
    lab.addHost('b', 'sw', { mac: '02:00:00:00:0f:02', addrs: ['192.0.2.2/24', '2001:db8:f::2/64'] });
    assert.equal(lab.exec('a', 'ping', ['-c', '1', '-W', '2', '192.0.2.2']).code, 0);
    assert.equal(lab.exec('a', 'ping', ['-6', '-c', '1', '-W', '2', '2001:db8:f::2']).code, 0);
    const sleeper = lab.spawn('b', 'sleep', ['30']);
    assert.ok(lab.processes().some((p) => p.pid === sleeper.pid));
    lab.setLink('b', 'eth0', false);
    assert.notEqual(lab.exec('a', 'ping', ['-c', '1', '-W', '1', '192.0.2.2']).code, 0);
  } finally {
    await lab.cleanup();
  }
  assert.deepEqual(listNamespaces().filter((n) => n.startsWith('mlb2f-')), []);
});
