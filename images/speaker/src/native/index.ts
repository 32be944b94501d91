// The native socket layer: TCP with TCP-MD5 / TTL / GTSM / bind-to-device for BGP, and UDP with
// per-datagram TTL for BFD. See README.md for the API and the addon's path contract.
export { connectTcp, listenTcp, addressFamily } from './tcp.ts';
export type { TcpConnectOptions, TcpListenOptions, TcpListener, TcpSocketOptions, Md5PeerKey } from './tcp.ts';
export { openBfdSocket, TtlUdpSocket } from './udp.ts';
export type { Datagram, UdpSocketOptions } from './udp.ts';
export { NativeSocketError } from './errors.ts';
export { nativeShim, addonCandidates, ADDON_FILE } from './addon.ts';
