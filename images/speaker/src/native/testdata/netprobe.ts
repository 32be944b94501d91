// Test helper run inside a network namespace (`ip netns exec NS node --import tsx netprobe.ts ...`):
// performs one socket operation through the native shim and prints one JSON line per event, so
// native.net.test.ts can assert what happened on real sockets.
//
//   netprobe.ts listen   '<TcpListenOptions>'    {"event":"listening"}, then {"event":"accepted",...} per peer
//   netprobe.ts connect  '<TcpConnectOptions or array>'  per attempt {"index":i,"event":"connected"|"error",...}
//   netprobe.ts udp-recv '<UdpSocketOptions>'    {"event":"bound"}, then {"event":"datagram",...}
//   netprobe.ts udp-send '<UdpSocketOptions>' ADDRESS PORT TEXT
import { connectTcp, listenTcp, openBfdSocket, type TcpConnectOptions, type TcpListenOptions, type UdpSocketOptions } from '../index.ts';

const print = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);
const [cmd, json, ...rest] = process.argv.slice(2);
const opts: unknown = JSON.parse(json ?? '{}');

async function connectOnce(o: TcpConnectOptions & { expectBgpOpen?: boolean; abortAfterMs?: number }): Promise<object> {
  try {
    const signal = o.abortAfterMs === undefined ? undefined : AbortSignal.timeout(o.abortAfterMs);
    const s = await connectTcp({ ...o, signal });
    const localAddress = s.localAddress;
    if (o.expectBgpOpen) {
      // A BGP peer speaks first with OPEN: 16 octets of 0xff, length, type 1 (RFC 4271 §4.1).
      const head = await new Promise<Buffer>((resolve) => {
        let got = Buffer.alloc(0);
        s.on('data', (d: Buffer) => { got = Buffer.concat([got, d]); if (got.length >= 19) resolve(got); });
        s.on('close', () => resolve(got));
      });
      s.destroy();
      const bgpOpen = head.length >= 19 && head.subarray(0, 16).every((b) => b === 0xff) && head[18] === 1;
      return { event: 'connected', localAddress, bgpOpen };
    }
    const greeting = await new Promise<string>((resolve) => {
      let got = '';
      s.on('data', (d: Buffer) => { got += d.toString(); });
      s.on('close', () => resolve(got.trim()));
    });
    return { event: 'connected', localAddress, greeting };
  } catch (err) {
    return { event: 'error', code: (err as { code?: string }).code, message: (err as Error).message };
  }
}

async function main(): Promise<void> {
  switch (cmd) {
    case 'listen': {
      await listenTcp(opts as TcpListenOptions, (s) => {
        print({ event: 'accepted', remoteAddress: s.remoteAddress, remotePort: s.remotePort });
        s.end('hello\n');
      });
      print({ event: 'listening' });
      return;
    }
    case 'connect': {
      // One options object, or an array of them tried in parallel (results carry their index).
      const list = (Array.isArray(opts) ? opts : [opts]) as TcpConnectOptions[];
      await Promise.all(list.map(async (o, index) => print({ index, ...(await connectOnce(o)) })));
      return;
    }
    case 'udp-recv': {
      const sock = openBfdSocket(opts as UdpSocketOptions);
      sock.receive((d) => print({ event: 'datagram', address: d.address, port: d.port, ttl: d.ttl, data: d.data.toString() }));
      print({ event: 'bound', port: sock.localPort });
      return;
    }
    case 'udp-send': {
      const sock = openBfdSocket(opts as UdpSocketOptions);
      const [address, port, text] = rest;
      print({ event: 'sent', ok: sock.send(Buffer.from(text ?? ''), address ?? '', Number(port)), port: sock.localPort });
      sock.close();
      return;
    }
    default:
      throw new Error(`unknown command ${cmd}`);
  }
}

await main();
