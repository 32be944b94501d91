// Prometheus metrics with MetalLB's names (metallb_bgp_*), one `peer` label per session.
import { Counter, Gauge, Registry } from 'prom-client';

/** The BGP engine's metrics, registered once per registry. */
export class BgpMetrics {
  readonly sessionUp: Gauge<'peer'>;
  readonly updatesSent: Counter<'peer'>;
  readonly announcedPrefixes: Gauge<'peer'>;
  readonly pendingPrefixes: Gauge<'peer'>;
  readonly notificationsSent: Counter<'peer' | 'code' | 'subcode'>;
  readonly notificationsReceived: Counter<'peer' | 'code' | 'subcode'>;
  readonly receivedPrefixes: Counter<'peer'>;
  readonly updateErrors: Counter<'peer' | 'handling'>;
  readonly sessionFlaps: Counter<'peer' | 'reason'>;
  readonly bfdPacketsDropped: Counter<'peer' | 'reason'>;

  constructor(registry: Registry) {
    const registers = [registry];
    this.sessionUp = new Gauge({ name: 'metallb_bgp_session_up', help: 'BGP session state (1 is up, 0 is down)', labelNames: ['peer'], registers });
    this.updatesSent = new Counter({ name: 'metallb_bgp_updates_total', help: 'Number of BGP UPDATE messages sent', labelNames: ['peer'], registers });
    this.announcedPrefixes = new Gauge({
      name: 'metallb_bgp_announced_prefixes_total',
      help: 'Number of prefixes currently being advertised on the BGP session',
      labelNames: ['peer'],
      registers,
    });
    this.pendingPrefixes = new Gauge({
      name: 'metallb_bgp_pending_prefixes_total',
      help: 'Number of prefixes that should be advertised on the BGP session but are not yet',
      labelNames: ['peer'],
      registers,
    });
    this.notificationsSent = new Counter({ name: 'metallb_bgp_notifications_sent_total', help: 'BGP NOTIFICATION messages sent', labelNames: ['peer', 'code', 'subcode'], registers });
    this.notificationsReceived = new Counter({
      name: 'metallb_bgp_notifications_received_total',
      help: 'BGP NOTIFICATION messages received',
      labelNames: ['peer', 'code', 'subcode'],
      registers,
    });
    this.receivedPrefixes = new Counter({
      name: 'metallb_bgp_received_prefixes_total',
      help: 'Prefixes announced to us by the peer (counted and dropped: the speaker installs no routes)',
      labelNames: ['peer'],
      registers,
    });
    this.updateErrors = new Counter({
      name: 'metallb_bgp_update_errors_total',
      help: 'Malformed UPDATEs from the peer tolerated under RFC 7606, by handling',
      labelNames: ['peer', 'handling'],
      registers,
    });
    this.sessionFlaps = new Counter({ name: 'metallb_bgp_session_down_total', help: 'BGP sessions that went down from Established, by reason', labelNames: ['peer', 'reason'], registers });
    this.bfdPacketsDropped = new Counter({
      name: 'metallb_bfd_control_packets_dropped_total',
      help: 'BFD control packets from the peer discarded (malformed, TTL below the minimum, not matching the session), by reason',
      labelNames: ['peer', 'reason'],
      registers,
    });
  }

  /** Drops a removed peer's series. */
  forget(peer: string): void {
    for (const m of [this.sessionUp, this.updatesSent, this.announcedPrefixes, this.pendingPrefixes, this.receivedPrefixes]) m.remove({ peer });
  }
}
