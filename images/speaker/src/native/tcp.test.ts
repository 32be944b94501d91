// Option checks of the native socket layer that fail before any packet is sent (no namespace
// needed); the behaviour on the wire is in native.net.test.ts.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { networkInterfaces } from 'node:os';
import { connectTcp, listenTcp, openBfdSocket, NativeSocketError } from './index.ts';

const rejectsWith = async (p: Promise<unknown>, code: string, message: RegExp): Promise<void> => {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof NativeSocketError, String(err));
    assert.equal(err.code, code);
    assert.match(err.message, message);
    return true;
  });
};

describe('native socket option checks', () => {
  it('refuses a host that is not an IP literal (no DNS)', async () => {
    await rejectsWith(connectTcp({ host: 'router.example', port: 179 }), 'EINVAL', /not an IP address/);
  });

  it('refuses a source address of the other family', async () => {
    await rejectsWith(connectTcp({ host: '192.0.2.1', port: 179, localAddress: '2001:db8::1' }), 'EINVAL', /differ in family/);
  });

  it('refuses TTLs outside 1..255 and MD5 keys outside 1..80 bytes', async () => {
    await rejectsWith(connectTcp({ host: '192.0.2.1', port: 179, ttl: 0 }), 'EINVAL', /ttl 0/);
    await rejectsWith(connectTcp({ host: '192.0.2.1', port: 179, minTtl: 256 }), 'EINVAL', /minTtl 256/);
    await rejectsWith(connectTcp({ host: '192.0.2.1', port: 179, md5Key: 'x'.repeat(81) }), 'EINVAL', /81 bytes/);
    await rejectsWith(connectTcp({ host: '192.0.2.1', port: 179, md5Key: '' }), 'EINVAL', /0 bytes/);
  });

  it('reports an unknown device with the errno name', async () => {
    await rejectsWith(connectTcp({ host: '192.0.2.1', port: 179, bindDevice: 'nosuchdev0' }), 'ENODEV', /SO_BINDTODEVICE/);
  });

  it('rejects an already aborted attempt', async () => {
    await rejectsWith(connectTcp({ host: '192.0.2.1', port: 179, signal: AbortSignal.abort() }), 'ABORT_ERR', /aborted/);
  });

  it('reports a source address that is not local (EADDRNOTAVAIL)', async () => {
    // These attempts run in the host namespace: they must fail at bind(), before any packet.
    const local = Object.values(networkInterfaces()).flat().map((i) => i?.address);
    assert.ok(!local.includes('192.0.2.254'), 'this host must not own the documentation address 192.0.2.254');
    await rejectsWith(connectTcp({ host: '192.0.2.1', port: 179, localAddress: '192.0.2.254' }), 'EADDRNOTAVAIL', /bind/);
    await assert.rejects(listenTcp({ host: '192.0.2.254', port: 1179 }, () => {}), /EADDRNOTAVAIL|Cannot assign/);
    assert.throws(() => openBfdSocket({ localAddress: '192.0.2.254', port: 3784 }), (e: unknown) => (e as NativeSocketError).code === 'EADDRNOTAVAIL');
  });
});
