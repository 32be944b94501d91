// Sends hostile heartbeats for the membership tests (run inside a namespace with `node --import tsx`):
//   forge  ADDR NODES KEY COUNT   leave packets claiming to be each of NODES (comma list), signed with KEY
//   replay ADDR PCAP ROUNDS       re-sends every UDP payload recorded in a tcpdump capture
import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { encodeHeartbeat } from '../../../images/speaker/src/membership/wire.ts';

const [mode, addr, ...rest] = process.argv.slice(2);
const PORT = 4230;
const sock = createSocket(addr?.includes(':') ? 'udp6' : 'udp4');

/** UDP payloads of an Ethernet pcap file (classic format, little-endian, as tcpdump writes). */
function pcapPayloads(path: string): Buffer[] {
  const f = readFileSync(path);
  const out: Buffer[] = [];
  for (let off = 24; off + 16 <= f.length;) {
    const len = f.readUInt32LE(off + 8);
    const frame = f.subarray(off + 16, off + 16 + len);
    off += 16 + len;
    const ihl = ((frame[14] as number) & 0x0f) * 4;
    out.push(frame.subarray(14 + ihl + 8));
  }
  return out;
}

async function send(packets: Buffer[]): Promise<void> {
  for (const p of packets) {
    await new Promise<void>((resolve) => sock.send(p, PORT, addr, () => resolve()));
    await new Promise((r) => setTimeout(r, 5));
  }
}

if (mode === 'forge') {
  const [nodes, key, count] = rest as [string, string, string];
  for (const node of nodes.split(',')) {
    const inc = randomBytes(8).readBigUInt64BE(0);
    await send(Array.from({ length: Number(count) }, (_, i) => encodeHeartbeat({ node, incarnation: inc, seq: BigInt(i + 1), leave: true }, Buffer.from(key))));
  }
} else if (mode === 'replay') {
  const [pcap, rounds] = rest as [string, string];
  const pkts = pcapPayloads(pcap);
  for (let r = 0; r < Number(rounds); r++) await send(pkts);
  process.stdout.write(`replayed ${pkts.length} packets x ${rounds}\n`);
} else {
  process.stderr.write('usage: heartbeat-tool.ts forge ADDR NODES KEY COUNT | replay ADDR PCAP ROUNDS\n');
  process.exit(2);
}
sock.close();
