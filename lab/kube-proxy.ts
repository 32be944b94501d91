// What kube-proxy does on a node, reduced to what the lab needs: packets for a Service IP and port
// are DNATed in prerouting to the node's own backend (the Service's pods), without the Service IP
// being configured on any interface. So the kernel never answers ARP for a Service IP: only the
// speaker does (reference/l2.md: with a local address the kernel answers unless arp_ignore is set).

/** One Service as kube-proxy sees it: its load-balancer IPs and ports. */
export interface ProxiedService {
  /** `namespace/name`, for the rule comment. */
  key: string;
  ips: string[];
  ports: { protocol: 'TCP' | 'UDP' | 'SCTP'; port: number; targetPort: number }[];
}

/** nftables table name used on every lab node (one table, replaced whole on every sync). */
export const PROXY_TABLE = 'mlbl_proxy';

/** The nft script that makes `services` reach the backend at `nodeAddress` (IPv4 IPs only). */
export function proxyRuleset(nodeAddress: string, services: readonly ProxiedService[]): string {
  const rules: string[] = [];
  for (const svc of [...services].sort((a, b) => a.key.localeCompare(b.key))) {
    const v4 = svc.ips.filter((ip) => !ip.includes(':')).sort();
    if (v4.length === 0) continue;
    for (const p of svc.ports) {
      const proto = p.protocol.toLowerCase();
      rules.push(`    ip daddr { ${v4.join(', ')} } ${proto} dport ${p.port} dnat ip to ${nodeAddress}:${p.targetPort} comment "${svc.key}"`);
    }
  }
  // `add table` + `delete table` + full definition = an atomic replace, also the first time.
  return [
    `add table ip ${PROXY_TABLE}`,
    `delete table ip ${PROXY_TABLE}`,
    `table ip ${PROXY_TABLE} {`,
    '  chain prerouting {',
    '    type nat hook prerouting priority dstnat; policy accept;',
    ...rules,
    '  }',
    '}',
    '',
  ].join('\n');
}
