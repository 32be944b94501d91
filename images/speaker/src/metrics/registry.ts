// The speaker's Prometheus metrics: MetalLB's names for what MetalLB also measures (dashboards and
// alerts written for MetalLB keep working), `metallb_membership_*` and `metallb_placement_*` for
// what is new here. Implements the observer interfaces the engines report to.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { L2EngineObserver } from '../l2/engine.ts';
import type { MembershipObserver } from '../membership/node.ts';

/** All speaker metrics in one registry. */
export class SpeakerMetrics {
  readonly registry = new Registry();
  readonly announced: Gauge<'ip' | 'node' | 'protocol'>;
  readonly requests: Counter<'ip'>;
  readonly responses: Counter<'ip'>;
  readonly gratuitous: Counter<'ip'>;
  readonly dropped: Counter<'reason' | 'protocol'>;
  readonly ifaceUp: Gauge<'interface'>;
  readonly ifaceErrors: Counter<'interface' | 'kind'>;
  readonly heartbeatsReceived: Counter<'result'>;
  readonly heartbeatsSent: Counter;
  readonly heartbeatSendErrors: Counter<'peer'>;
  readonly liveNodes: Gauge;
  readonly peerLive: Gauge<'peer'>;
  readonly quorum: Gauge<'class'>;
  readonly unplaced: Gauge<'class'>;
  readonly nodeChanges: Counter<'class'>;

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    const r = [this.registry];
    if (opts.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.announced = new Gauge({ name: 'metallb_speaker_announced', help: 'Services being announced from this node (1 per IP)', labelNames: ['ip', 'node', 'protocol'], registers: r });
    this.requests = new Counter({ name: 'metallb_layer2_requests_received', help: 'Number of layer2 requests received for owned IPs', labelNames: ['ip'], registers: r });
    this.responses = new Counter({ name: 'metallb_layer2_responses_sent', help: 'Number of layer2 responses sent for owned IPs', labelNames: ['ip'], registers: r });
    this.gratuitous = new Counter({ name: 'metallb_layer2_gratuitous_sent', help: 'Number of gratuitous ARP / unsolicited NA packets sent for owned IPs after a takeover', labelNames: ['ip'], registers: r });
    this.dropped = new Counter({ name: 'metallb_layer2_requests_dropped', help: 'Frames seen by the responder and not answered, by reason', labelNames: ['reason', 'protocol'], registers: r });
    this.ifaceUp = new Gauge({ name: 'metallb_layer2_interface_up', help: '1 when the responder has the interface open, 0 when it cannot (retried)', labelNames: ['interface'], registers: r });
    this.ifaceErrors = new Counter({ name: 'metallb_layer2_interface_errors', help: 'Failures to open or use an interface, by kind (open, missing, down, exited, join, send)', labelNames: ['interface', 'kind'], registers: r });
    this.heartbeatsReceived = new Counter({ name: 'metallb_membership_heartbeats_received', help: 'Heartbeats received, by result (accepted, replay, auth, unknown-peer, ...)', labelNames: ['result'], registers: r });
    this.heartbeatsSent = new Counter({ name: 'metallb_membership_heartbeats_sent', help: 'Heartbeats sent', registers: r });
    this.heartbeatSendErrors = new Counter({ name: 'metallb_membership_heartbeat_send_errors', help: 'Heartbeats that could not be sent, by peer', labelNames: ['peer'], registers: r });
    this.liveNodes = new Gauge({ name: 'metallb_membership_live_nodes', help: 'Speakers this node sees live, itself included', registers: r });
    this.peerLive = new Gauge({ name: 'metallb_membership_peer_live', help: '1 when the peer speaker is live', labelNames: ['peer'], registers: r });
    this.quorum = new Gauge({ name: 'metallb_membership_quorum', help: '1 when this node sees a majority of the class and answers, 0 in a minority (DESIGN §5)', labelNames: ['class'], registers: r });
    this.unplaced = new Gauge({ name: 'metallb_placement_unplaced_ips', help: 'IPs of the class with no available node', labelNames: ['class'], registers: r });
    this.nodeChanges = new Counter({ name: 'metallb_placement_announcing_node_changes', help: 'Times an IP changed announcing node, as seen by this speaker', labelNames: ['class'], registers: r });
  }

  /** Observer for the L2 engine. */
  l2Observer(): L2EngineObserver {
    return {
      request: (ip, _protocol, n) => this.requests.inc({ ip }, n),
      response: (ip, _protocol, n) => this.responses.inc({ ip }, n),
      dropped: (reason, protocol, n) => this.dropped.inc({ reason, protocol }, n),
      sendError: (ifname, n) => this.ifaceErrors.inc({ interface: ifname, kind: 'send' }, n),
      gratuitous: (ip) => this.gratuitous.inc({ ip }),
      interfaceState: (ifname, ok) => this.ifaceUp.set({ interface: ifname }, ok ? 1 : 0),
      interfaceError: (ifname, kind) => this.ifaceErrors.inc({ interface: ifname, kind }),
    };
  }

  /** Observer for membership. */
  membershipObserver(): MembershipObserver {
    return {
      received: (result) => this.heartbeatsReceived.inc({ result }),
      sent: () => this.heartbeatsSent.inc(),
      sendError: (peer) => this.heartbeatSendErrors.inc({ peer }),
    };
  }
}
