// The node view: iptables-save as kube-proxy's iptables proxier writes it (chain names checked against a real
// capture in ../shared/fixtures/commands/k8s-debug-service, read in place), the empty IPVS table, and the
// capability rules of the netfilter tools.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endpointChainName, iptablesSave, ipvsadmEmpty, portProtoHash, probability } from '../../../src/lab/runtime/nodeview.ts';
import type { KObject } from '../../../src/lab/types.ts';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const FIX = join(ROOT, '..', 'shared', 'fixtures', 'commands');
const haveFixtures = existsSync(FIX);
if (!haveFixtures) console.warn(`nodeview.test: ${FIX} is absent; fixture comparisons are skipped`);

const svc = (name: string, spec: any, status?: any): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'shop' }, spec, ...(status ? { status } : {}) });
const slice = (svcName: string, portName: string, port: number, eps: { ip: string; node: string; ready?: boolean }[]): KObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${svcName}-abc`, namespace: 'shop', labels: { 'kubernetes.io/service-name': svcName } },
  addressType: 'IPv4',
  ports: [{ name: portName, port, protocol: 'TCP' }],
  endpoints: eps.map((e) => ({ addresses: [e.ip], nodeName: e.node, conditions: { ready: e.ready ?? true, serving: e.ready ?? true, terminating: false } })),
});

describe('kube-proxy chain names', () => {
  it.skipIf(!haveFixtures)('match a real iptables-save capture', () => {
    const text = readFileSync(join(FIX, 'k8s-debug-service', 'iptables-save-kube-svc.txt'), 'utf8');
    // -A KUBE-SEP-57KPRZ3JQVENLNBR ... --comment "default/hostnames:" ... --to-destination 10.244.3.6:9376
    const seps = [...text.matchAll(/-A (KUBE-SEP-\w+) -p tcp -m comment --comment "([^"]+)" -m tcp -j DNAT --to-destination (\S+)/g)];
    expect(seps.length).toBeGreaterThan(0);
    for (const [, chain, portName, ep] of seps) expect(endpointChainName(portName!, 'tcp', ep!)).toBe(chain);
    const svcChain = /--dport 80 -j (KUBE-SVC-\w+)/.exec(text)![1];
    expect(`KUBE-SVC-${portProtoHash('default/hostnames:', 'tcp')}`).toBe(svcChain);
  });

  it('probabilities are 1/n with ten decimals', () => {
    expect(probability(3)).toBe('0.3333333333');
    expect(probability(2)).toBe('0.5000000000');
  });
});

describe('iptables-save', () => {
  const services = [
    svc('web', { type: 'ClusterIP', clusterIP: '127.2.0.15', selector: { app: 'web' }, ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 'http' }] }),
    svc('empty', { type: 'ClusterIP', clusterIP: '127.2.0.16', selector: { app: 'none' }, ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
    svc('lb', { type: 'LoadBalancer', clusterIP: '127.2.0.17', externalTrafficPolicy: 'Local', ports: [{ name: 'https', port: 443, nodePort: 31443, protocol: 'TCP' }] }, { loadBalancer: { ingress: [{ ip: '127.0.10.20' }] } }),
  ];
  const slices = [
    slice('web', 'http', 8080, [{ ip: '127.1.1.5', node: 'n1' }, { ip: '127.1.2.5', node: 'n2' }, { ip: '127.1.2.6', node: 'n2', ready: false }]),
    slice('lb', 'https', 8443, [{ ip: '127.1.2.9', node: 'n2' }]),
  ];
  const out = iptablesSave({ services, slices, nodeName: 'n1', now: new Date('2026-01-02T03:04:05Z') });
  const web = `KUBE-SVC-${portProtoHash('shop/web:http', 'tcp')}`;

  it('sends the ClusterIP to the Service chain and spreads over the ready endpoints only', () => {
    expect(out).toContain(`-A KUBE-SERVICES -d 127.2.0.15/32 -p tcp -m comment --comment "shop/web:http cluster IP" -m tcp --dport 80 -j ${web}`);
    const jumps = out.split('\n').filter((l) => l.startsWith(`-A ${web} -m comment`));
    expect(jumps).toEqual([
      `-A ${web} -m comment --comment "shop/web:http -> 127.1.1.5:8080" -m statistic --mode random --probability 0.5000000000 -j ${endpointChainName('shop/web:http', 'tcp', '127.1.1.5:8080')}`,
      `-A ${web} -m comment --comment "shop/web:http -> 127.1.2.5:8080" -j ${endpointChainName('shop/web:http', 'tcp', '127.1.2.5:8080')}`,
    ]);
    expect(out).toContain(`-j DNAT --to-destination 127.1.1.5:8080`);
    expect(out).not.toContain('127.1.2.6');
  });

  it('rejects Services without endpoints in the filter table', () => {
    expect(out).toContain('-A KUBE-SERVICES -d 127.2.0.16/32 -p tcp -m comment --comment "shop/empty:http has no endpoints" -m tcp --dport 80 -j REJECT --reject-with icmp-port-unreachable');
  });

  it('externalTrafficPolicy Local: NodePort and LB IP through KUBE-EXT, a node without local endpoints drops', () => {
    const h = portProtoHash('shop/lb:https', 'tcp');
    expect(out).toContain(`-A KUBE-NODEPORTS -p tcp -m comment --comment "shop/lb:https" -m tcp --dport 31443 -j KUBE-EXT-${h}`);
    expect(out).toContain(`-A KUBE-SERVICES -d 127.0.10.20/32 -p tcp -m comment --comment "shop/lb:https loadbalancer IP" -m tcp --dport 443 -j KUBE-EXT-${h}`);
    expect(out).toContain('-A KUBE-EXTERNAL-SERVICES -p tcp -m comment --comment "shop/lb:https has no local endpoints" -m addrtype --dst-type LOCAL -m tcp --dport 31443 -j DROP');
    expect(out).not.toMatch(new RegExp(`-A KUBE-SVL-${h} .*-j KUBE-SEP`));
    const n2 = iptablesSave({ services, slices, nodeName: 'n2' });
    expect(n2).toContain(`-A KUBE-SVL-${h} -m comment --comment "shop/lb:https -> 127.1.2.9:8443" -j ${endpointChainName('shop/lb:https', 'tcp', '127.1.2.9:8443')}`);
  });

  it('is well-formed: every jump target chain is declared in its table, tables end with COMMIT', () => {
    for (const table of out.split(/(?=# Generated by)/)) {
      const declared = new Set([...table.matchAll(/^:(\S+) /gm)].map((m) => m[1]));
      for (const m of table.matchAll(/ -j (KUBE-[A-Z0-9-]+)/g)) expect(declared, m[1]).toContain(m[1]);
      expect(table).toMatch(/\nCOMMIT\n# Completed on /);
    }
    expect(out).toMatch(/^# Generated by iptables-save v1\.8\.10 on Fri Jan 02 03:04:05 2026\n\*filter\n/);
  });
});

describe('ipvsadm', () => {
  it.skipIf(!haveFixtures)('prints the header of a real ipvsadm -Ln, with no virtual servers (iptables mode)', () => {
    const real = readFileSync(join(FIX, 'kube-proxy-ipvs', 'ipvsadm-ln-with-header.txt'), 'utf8').split('\n');
    expect(ipvsadmEmpty().trimEnd().split('\n')).toEqual(real.slice(0, 3));
  });
});
