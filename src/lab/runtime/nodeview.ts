// The node view of a hostNetwork helper pod: what iptables-save, ipvsadm, conntrack and ss print on a lab node.
//
// The lab's kube-proxy runs in iptables mode (its log says "Using iptables Proxier"), so:
// - `iptables-save` prints the nat (and filter) rules kube-proxy's iptables proxier writes for the cluster's
//   Services and EndpointSlices (pkg/proxy/iptables/proxier.go: KUBE-SERVICES → KUBE-SVC-<hash> → KUBE-SEP-<hash>
//   with DNAT, KUBE-NODEPORTS/KUBE-EXT-<hash> for NodePorts and load-balancer IPs, KUBE-SVL-<hash> for
//   externalTrafficPolicy Local, REJECT in the filter table for Services without endpoints);
// - `ipvsadm -Ln` prints an empty IPVS table (no virtual servers: nothing uses IPVS on these nodes);
// - `conntrack -L/-C` lists the connections the data plane's kube-proxy really forwarded (NAT entries);
// - `ss -tan/-s` lists the node's listening sockets (NodePorts, health checks, kubelet) and tracked connections.
// In a pod's own network namespace (no hostNetwork) the netfilter tables are empty. Without CAP_NET_ADMIN the
// netfilter tools fail as they do for a non-root user.
import { createHash } from 'node:crypto';
import type { ControllerContext } from '../controllers/runtime.ts';
import type { KObject } from '../types.ts';
import type { NodeView } from './commands.ts';
import { endpointsFromSlices, usableEndpoints, type Endpoint } from '../dataplane/kubeproxy.ts';

const IPTABLES_VERSION = 'v1.8.10';
const CLUSTER_CIDR = '127.1.0.0/16';
const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

// base32 (RFC 4648, with padding alphabet) as Go's base32.StdEncoding
function base32(buf: Buffer): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of buf) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

/** kube-proxy's portProtoHash: base32(sha256(servicePortName + protocol))[:16]. */
export function portProtoHash(servicePortName: string, protocol: string): string {
  return base32(createHash('sha256').update(servicePortName + protocol).digest()).slice(0, 16);
}

/** KUBE-SEP-<base32(sha256(servicePortName + protocol + endpoint))[:16]> */
export function endpointChainName(servicePortName: string, protocol: string, endpoint: string): string {
  return `KUBE-SEP-${base32(createHash('sha256').update(servicePortName + protocol + endpoint).digest()).slice(0, 16)}`;
}

/** kube-proxy's computeProbability: %0.10f of 1/n. */
export function probability(n: number): string {
  return (1 / n).toFixed(10);
}

export interface IptablesInput {
  services: KObject[];
  slices: KObject[];
  /** The node this view is on (for externalTrafficPolicy Local and the timestamp line). */
  nodeName?: string;
  clusterCIDR?: string;
  now?: Date;
}

function goDate(d: Date): string {
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const p = (n: number) => String(n).padStart(2, '0');
  return `${days[d.getUTCDay()]} ${months[d.getUTCMonth()]} ${p(d.getUTCDate())} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** `iptables-save` as a node of the lab prints it: kube-proxy's iptables-mode rules for every Service. */
export function iptablesSave(input: IptablesInput): string {
  const cidr = input.clusterCIDR ?? CLUSTER_CIDR;
  const now = goDate(input.now ?? new Date());
  const natChains = new Set<string>(['KUBE-MARK-MASQ', 'KUBE-NODEPORTS', 'KUBE-POSTROUTING', 'KUBE-SERVICES']);
  const svcRules: string[] = [];
  const chainRules: string[] = [];
  const nodePortRules: string[] = [];
  const filterRules: string[] = [];
  const sorted = [...input.services].sort((a, b) => `${a.metadata.namespace}/${a.metadata.name}`.localeCompare(`${b.metadata.namespace}/${b.metadata.name}`));
  for (const svc of sorted) {
    const type = svc.spec?.type ?? 'ClusterIP';
    if (type === 'ExternalName') continue;
    const ns = svc.metadata.namespace!;
    const name = svc.metadata.name!;
    const clusterIP: string | undefined = svc.spec?.clusterIP && svc.spec.clusterIP !== 'None' ? svc.spec.clusterIP : undefined;
    const headless = svc.spec?.clusterIP === 'None';
    if (headless) continue;
    const slices = input.slices.filter((s) => s.metadata.namespace === ns && s.metadata.labels?.[SERVICE_NAME_LABEL] === name);
    const lbIPs: string[] = (svc.status?.loadBalancer?.ingress ?? []).map((i: any) => i.ip).filter(Boolean);
    const etpLocal = (type === 'NodePort' || type === 'LoadBalancer') && svc.spec?.externalTrafficPolicy === 'Local';
    for (const p of svc.spec?.ports ?? []) {
      const protocol = String(p.protocol ?? 'TCP');
      const proto = protocol.toLowerCase();
      const portName = p.name ? `${ns}/${name}:${p.name}` : `${ns}/${name}`;
      const hash = portProtoHash(portName, proto);
      const svcChain = `KUBE-SVC-${hash}`;
      const extChain = `KUBE-EXT-${hash}`;
      const svlChain = `KUBE-SVL-${hash}`;
      const all: Endpoint[] = endpointsFromSlices(slices, p.name ?? '', protocol);
      const eps = usableEndpoints(all);
      const hasNodePort = (type === 'NodePort' || type === 'LoadBalancer') && p.nodePort;
      if (!eps.length) {
        // no endpoints: REJECT in the filter table (KUBE-SERVICES for the ClusterIP, KUBE-EXTERNAL-SERVICES for the rest)
        if (clusterIP) filterRules.push(`-A KUBE-SERVICES -d ${clusterIP}/32 -p ${proto} -m comment --comment "${portName} has no endpoints" -m ${proto} --dport ${p.port} -j REJECT --reject-with icmp-port-unreachable`);
        for (const ip of lbIPs) filterRules.push(`-A KUBE-EXTERNAL-SERVICES -d ${ip}/32 -p ${proto} -m comment --comment "${portName} has no endpoints" -m ${proto} --dport ${p.port} -j REJECT --reject-with icmp-port-unreachable`);
        if (hasNodePort) filterRules.push(`-A KUBE-EXTERNAL-SERVICES -p ${proto} -m comment --comment "${portName} has no endpoints" -m addrtype --dst-type LOCAL -m ${proto} --dport ${p.nodePort} -j REJECT --reject-with icmp-port-unreachable`);
        continue;
      }
      natChains.add(svcChain);
      if (clusterIP) {
        svcRules.push(`-A KUBE-SERVICES -d ${clusterIP}/32 -p ${proto} -m comment --comment "${portName} cluster IP" -m ${proto} --dport ${p.port} -j ${svcChain}`);
        chainRules.push(`-A ${svcChain} ! -s ${cidr} -d ${clusterIP}/32 -p ${proto} -m comment --comment "${portName} cluster IP" -m ${proto} --dport ${p.port} -j KUBE-MARK-MASQ`);
      }
      eps.forEach((e, i) => {
        const ep = `${e.ip}:${e.port}`;
        const prob = i < eps.length - 1 ? ` -m statistic --mode random --probability ${probability(eps.length - i)}` : '';
        chainRules.push(`-A ${svcChain} -m comment --comment "${portName} -> ${ep}"${prob} -j ${endpointChainName(portName, proto, ep)}`);
      });
      for (const e of eps) {
        const ep = `${e.ip}:${e.port}`;
        const sep = endpointChainName(portName, proto, ep);
        natChains.add(sep);
        chainRules.push(`-A ${sep} -s ${e.ip}/32 -m comment --comment "${portName}" -j KUBE-MARK-MASQ`);
        const affinity = svc.spec?.sessionAffinity === 'ClientIP' ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource` : '';
        chainRules.push(`-A ${sep} -p ${proto} -m comment --comment "${portName}"${affinity} -m ${proto} -j DNAT --to-destination ${ep}`);
      }
      if (hasNodePort || lbIPs.length) {
        natChains.add(extChain);
        for (const ip of lbIPs) svcRules.push(`-A KUBE-SERVICES -d ${ip}/32 -p ${proto} -m comment --comment "${portName} loadbalancer IP" -m ${proto} --dport ${p.port} -j ${extChain}`);
        if (hasNodePort) nodePortRules.push(`-A KUBE-NODEPORTS -p ${proto} -m comment --comment "${portName}" -m ${proto} --dport ${p.nodePort} -j ${extChain}`);
        if (etpLocal) {
          natChains.add(svlChain);
          chainRules.push(`-A ${extChain} -s ${cidr} -m comment --comment "pod traffic for ${portName} external destinations" -j ${svcChain}`);
          chainRules.push(`-A ${extChain} -m comment --comment "masquerade LOCAL traffic for ${portName} external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ`);
          chainRules.push(`-A ${extChain} -m comment --comment "route LOCAL traffic for ${portName} external destinations" -m addrtype --src-type LOCAL -j ${svcChain}`);
          chainRules.push(`-A ${extChain} -j ${svlChain}`);
          const local = eps.filter((e) => e.nodeName === input.nodeName);
          if (!local.length) {
            // no local endpoint on this node: external traffic is dropped in the filter table
            for (const ip of lbIPs) filterRules.push(`-A KUBE-EXTERNAL-SERVICES -d ${ip}/32 -p ${proto} -m comment --comment "${portName} has no local endpoints" -m ${proto} --dport ${p.port} -j DROP`);
            if (hasNodePort) filterRules.push(`-A KUBE-EXTERNAL-SERVICES -p ${proto} -m comment --comment "${portName} has no local endpoints" -m addrtype --dst-type LOCAL -m ${proto} --dport ${p.nodePort} -j DROP`);
          }
          local.forEach((e, i) => {
            const ep = `${e.ip}:${e.port}`;
            const prob = i < local.length - 1 ? ` -m statistic --mode random --probability ${probability(local.length - i)}` : '';
            chainRules.push(`-A ${svlChain} -m comment --comment "${portName} -> ${ep}"${prob} -j ${endpointChainName(portName, proto, ep)}`);
          });
        } else {
          chainRules.push(`-A ${extChain} -m comment --comment "masquerade traffic for ${portName} external destinations" -j KUBE-MARK-MASQ`);
          chainRules.push(`-A ${extChain} -j ${svcChain}`);
        }
      }
    }
  }
  const lines: string[] = [];
  lines.push(`# Generated by iptables-save ${IPTABLES_VERSION} on ${now}`, '*filter', ':INPUT ACCEPT [0:0]', ':FORWARD ACCEPT [0:0]', ':OUTPUT ACCEPT [0:0]');
  for (const c of ['KUBE-EXTERNAL-SERVICES', 'KUBE-FIREWALL', 'KUBE-FORWARD', 'KUBE-KUBELET-CANARY', 'KUBE-NODEPORTS', 'KUBE-PROXY-CANARY', 'KUBE-PROXY-FIREWALL', 'KUBE-SERVICES']) lines.push(`:${c} - [0:0]`);
  lines.push(
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A INPUT -m comment --comment "kubernetes health check service ports" -j KUBE-NODEPORTS',
    '-A INPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A INPUT -j KUBE-FIREWALL',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A FORWARD -m comment --comment "kubernetes forwarding rules" -j KUBE-FORWARD',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A FORWARD -m conntrack --ctstate NEW -m comment --comment "kubernetes externally-visible service portals" -j KUBE-EXTERNAL-SERVICES',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes load balancer firewall" -j KUBE-PROXY-FIREWALL',
    '-A OUTPUT -m conntrack --ctstate NEW -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -j KUBE-FIREWALL',
    '-A KUBE-FIREWALL ! -s 127.0.0.0/8 -d 127.0.0.0/8 -m comment --comment "block incoming localnet connections" -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP',
    '-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name  ct_state_invalid_dropped_pkts -j DROP',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT',
    '-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT',
    ...filterRules,
    'COMMIT',
    `# Completed on ${now}`,
    `# Generated by iptables-save ${IPTABLES_VERSION} on ${now}`,
    '*nat',
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
  );
  const order = (c: string) => (c.startsWith('KUBE-SEP-') || c.startsWith('KUBE-SVC-') || c.startsWith('KUBE-EXT-') || c.startsWith('KUBE-SVL-') ? 1 : 0);
  for (const c of [...natChains].sort((a, b) => order(a) - order(b) || a.localeCompare(b))) lines.push(`:${c} - [0:0]`);
  lines.push(
    '-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES',
    '-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING',
    '-A KUBE-MARK-MASQ -j MARK --set-xmark 0x4000/0x4000',
    ...nodePortRules,
    '-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN',
    '-A KUBE-POSTROUTING -j MARK --set-xmark 0x4000/0x0',
    '-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE --random-fully',
    ...svcRules,
    '-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS',
    ...[...chainRules].sort((a, b) => a.split(' ')[1]!.localeCompare(b.split(' ')[1]!)),
    'COMMIT',
    `# Completed on ${now}`,
  );
  return `${lines.join('\n')}\n`;
}

/** `ipvsadm -Ln` on a node whose kube-proxy runs in iptables mode: the IPVS table is empty. */
export function ipvsadmEmpty(): string {
  return 'IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n';
}

export interface NodeViewSelf {
  pod: KObject;
  nodeName: string;
  hostIP: string;
  hostNetwork: boolean;
  netAdmin: boolean;
}

const rport = (seed: string) => 32768 + (parseInt(createHash('sha256').update(seed).digest('hex').slice(0, 6), 16) % 28000);

/** The NodeView a helper container's node-level commands read. */
export function nodeView(ctx: ControllerContext, self: NodeViewSelf): NodeView {
  const T = (g: string, p: string) => ctx.registry.type(g, p);
  const services = () => ctx.store.list(T('', 'services'));
  const flows = () => (ctx.dataplane?.parts?.kubeProxy.flows() ?? []).filter((f) => f.result === 'forwarded' && Date.now() - f.at < 120_000);

  function conntrackLines(): string[] {
    const byKey = new Map(services().map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
    return flows().map((f, i) => {
      const svc = byKey.get(f.service);
      const sp = (svc?.spec?.ports ?? []).find((p: any) => p.port === f.port);
      const dst = f.via === 'clusterIP' ? (svc?.spec?.clusterIP ?? '') : f.via === 'loadBalancer' ? (svc?.status?.loadBalancer?.ingress?.[0]?.ip ?? '') : (ctx.dataplane?.parts ? self.hostIP : '');
      const dport = f.via === 'nodePort' ? (sp?.nodePort ?? f.port) : f.port;
      const [epIP, epPort] = (f.endpoint ?? ':').split(':');
      const sport = rport(`${f.at}:${f.client}:${i}`);
      const replyDst = f.source || f.client;
      const ttl = Math.max(0, 432000 - Math.floor((Date.now() - f.at) / 1000));
      return `tcp      6 ${ttl} ESTABLISHED src=${f.client} dst=${dst} sport=${sport} dport=${dport} src=${epIP} dst=${replyDst} sport=${epPort} dport=${sport} [ASSURED] mark=0 use=1`;
    });
  }

  function listeners(): { addr: string; port: number }[] {
    const out: { addr: string; port: number }[] = [{ addr: '0.0.0.0', port: 10250 }, { addr: '127.0.0.1', port: 10248 }, { addr: '0.0.0.0', port: 10256 }];
    for (const s of services()) {
      for (const p of s.spec?.ports ?? []) if (p.nodePort && (p.protocol ?? 'TCP') === 'TCP') out.push({ addr: self.hostIP, port: p.nodePort });
      if (s.spec?.healthCheckNodePort) out.push({ addr: self.hostIP, port: s.spec.healthCheckNodePort });
    }
    for (const p of ctx.store.list(T('', 'pods'))) {
      if (!p.spec?.hostNetwork || p.spec?.nodeName !== self.nodeName || p.status?.phase !== 'Running') continue;
      for (const c of p.spec.containers ?? []) for (const cp of c.ports ?? []) out.push({ addr: self.hostIP, port: cp.containerPort });
    }
    return out;
  }

  function podListeners(): { addr: string; port: number }[] {
    const pod = ctx.store.get(T('', 'pods'), self.pod.metadata.namespace, self.pod.metadata.name!) ?? self.pod;
    const running = new Set((pod.status?.containerStatuses ?? []).filter((c: any) => c.state?.running).map((c: any) => c.name));
    const out: { addr: string; port: number }[] = [];
    for (const c of pod.spec?.containers ?? []) {
      if (!running.has(c.name)) continue;
      for (const cp of c.ports ?? []) if ((cp.protocol ?? 'TCP') === 'TCP') out.push({ addr: '*', port: cp.containerPort });
    }
    return out;
  }

  const denied = (tool: string) => {
    if (tool === 'iptables-save') return { out: '', err: `iptables-save ${IPTABLES_VERSION} (nf_tables): Could not fetch rule set generation id: Permission denied (you must be root)\n`, code: 1 };
    if (tool === 'ipvsadm') return { out: '', err: "Can't initialize ipvs: Permission denied (you must be root)\nAre you sure that IP Virtual Server is built in the kernel or as module?\n", code: 2 };
    return { out: '', err: 'conntrack v1.4.8 (conntrack-tools): Operation failed: Operation not permitted\n', code: 1 };
  };

  return {
    hostNetwork: self.hostNetwork,
    netAdmin: self.netAdmin,
    run(tool, args) {
      if (tool !== 'ss' && !self.netAdmin) return denied(tool);
      if (tool === 'iptables-save') {
        if (!self.hostNetwork) return { out: '', err: '', code: 0 }; // the pod's own netns has no rules
        const table = args.includes('-t') ? args[args.indexOf('-t') + 1] : undefined;
        let text = iptablesSave({ services: services(), slices: ctx.store.list(T('discovery.k8s.io', 'endpointslices')), nodeName: self.nodeName });
        if (table) {
          const parts = text.split(/(?=# Generated by)/);
          text = parts.filter((p) => p.includes(`\n*${table}\n`)).join('');
        }
        return { out: text, err: '', code: 0 };
      }
      if (tool === 'ipvsadm') return { out: ipvsadmEmpty(), err: '', code: 0 };
      if (tool === 'conntrack') {
        const lines = self.hostNetwork ? conntrackLines() : [];
        if (args.includes('-C') || args.includes('--count')) return { out: `${lines.length}\n`, err: '', code: 0 };
        if (args.includes('-S') || args.includes('--stats')) return { out: `cpu=0   \tfound=0 invalid=0 insert=0 insert_failed=0 drop=0 early_drop=0 error=0 search_restart=0 clash_resolve=0 chaintoolong=0 \n`, err: '', code: 0 };
        return { out: lines.map((l) => `${l}\n`).join(''), err: `conntrack v1.4.8 (conntrack-tools): ${lines.length} flow entries have been shown.\n`, code: 0 };
      }
      // ss
      const flags = args.filter((a) => a.startsWith('-')).join('');
      // in the pod's own network namespace: what its containers listen on (an ephemeral container sees the app's)
      const ls = self.hostNetwork ? listeners() : podListeners();
      const est = self.hostNetwork ? conntrackLines() : [];
      if (flags.includes('s')) {
        const tcp = ls.length + est.length;
        return {
          out: `Total: ${tcp + 4}\nTCP:   ${tcp} (estab ${est.length}, closed 0, orphaned 0, timewait 0)\n\nTransport Total     IP        IPv6\nRAW\t  0         0         0        \nUDP\t  2         2         0        \nTCP\t  ${String(tcp).padEnd(9)} ${String(tcp).padEnd(9)} 0        \nINET\t  ${String(tcp + 2).padEnd(9)} ${String(tcp + 2).padEnd(9)} 0        \nFRAG\t  0         0         0        \n\n`,
          err: '',
          code: 0,
        };
      }
      const listenOnly = flags.includes('l');
      const rows: [string, string, string, string, string][] = [['State', 'Recv-Q', 'Send-Q', 'Local Address:Port', 'Peer Address:Port']];
      for (const l of ls) rows.push(['LISTEN', '0', '4096', `${l.addr}:${l.port}`, l.addr === '*' ? '*:*' : '0.0.0.0:*']);
      if (!listenOnly) {
        for (const e of est) {
          const m = /src=(\S+) dst=(\S+) sport=(\d+) dport=(\d+)/.exec(e);
          if (m) rows.push(['ESTAB', '0', '0', `${m[1]}:${m[3]}`, `${m[2]}:${m[4]}`]);
        }
      }
      const w = [6, 6, 6, 36, 24];
      const out = rows.map((r) => `${r[0].padEnd(w[0]!)} ${r[1].padEnd(w[1]!)} ${r[2].padEnd(w[2]!)} ${r[3].padStart(w[3]!)} ${r[4].padEnd(w[4]!)}`.trimEnd()).join('\n');
      return { out: `${out}\n`, err: '', code: 0 };
    },
  };
}
