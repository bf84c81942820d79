// Pod Security admission: the check matrix and upstream's wording (k8s.io/pod-security-admission v0.32).
import { describe, expect, it } from 'vitest';
import { admitPodSecurity, checkPod, namespacePolicy, warningHeader } from '../../../src/lab/apiserver/podsecurity.ts';
import { ApiError } from '../../../src/lab/store/errors.ts';
import type { KObject } from '../../../src/lab/types.ts';

const ns = (labels: Record<string, string>): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x', labels } });
const pod = (spec: any, name = 'x'): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'x' }, spec });
const netshoot = (sc?: any) => ({ containers: [{ name: 'c', image: 'nicolaka/netshoot:v0.13', ...(sc ? { securityContext: sc } : {}) }] });
const compliant = {
  securityContext: { runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } },
  containers: [{ name: 'c', image: 'nicolaka/netshoot:v0.13', securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } } }],
};

function refusal(p: KObject, labels: Record<string, string>): string {
  try {
    admitPodSecurity(p, ns(labels));
  } catch (e) {
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).code).toBe(403);
    expect((e as ApiError).toStatus().reason).toBe('Forbidden');
    return (e as ApiError).message;
  }
  return '';
}

describe('Pod Security admission', () => {
  it('restricted refuses a plain netshoot pod with every reason, in check-ID order', () => {
    expect(refusal(pod(netshoot()), { 'pod-security.kubernetes.io/enforce': 'restricted' })).toBe(
      'pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    );
  });

  it('restricted admits a compliant pod, and NET_BIND_SERVICE but nothing else may be added', () => {
    const labels = { 'pod-security.kubernetes.io/enforce': 'restricted' };
    expect(refusal(pod(compliant), labels)).toBe('');
    const bind = structuredClone(compliant);
    (bind.containers[0]!.securityContext as any).capabilities.add = ['NET_BIND_SERVICE'];
    expect(refusal(pod(bind), labels)).toBe('');
    const raw = structuredClone(compliant);
    (raw.containers[0]!.securityContext as any).capabilities.add = ['NET_RAW', 'NET_ADMIN'];
    expect(refusal(pod(raw), labels)).toBe(
      'pods "x" is forbidden: violates PodSecurity "restricted:latest": unrestricted capabilities (container "c" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)',
    );
  });

  it('restricted: runAsUser=0 and an explicit runAsNonRoot=false are named', () => {
    const p = structuredClone(compliant) as any;
    p.securityContext.runAsUser = 0;
    p.containers[0].securityContext.runAsNonRoot = false;
    const msg = refusal(pod(p), { 'pod-security.kubernetes.io/enforce': 'restricted', 'pod-security.kubernetes.io/enforce-version': 'v1.32' });
    expect(msg).toContain('violates PodSecurity "restricted:v1.32": ');
    expect(msg).toContain('runAsNonRoot != true (container "c" must not set securityContext.runAsNonRoot=false)');
    expect(msg).toContain('runAsUser=0 (pod must not set runAsUser=0)');
  });

  it('baseline refuses added NET_RAW/NET_ADMIN, host namespaces, privileged and hostPath; admits a root pod without them', () => {
    const labels = { 'pod-security.kubernetes.io/enforce': 'baseline' };
    expect(refusal(pod(netshoot()), labels)).toBe('');
    expect(refusal(pod(netshoot({ capabilities: { add: ['NET_RAW', 'NET_ADMIN', 'CHOWN'] } }), 'debug'), labels)).toBe(
      'pods "debug" is forbidden: violates PodSecurity "baseline:latest": non-default capabilities (container "c" must not include "NET_ADMIN", "NET_RAW" in securityContext.capabilities.add)',
    );
    const node = { hostNetwork: true, hostPID: true, volumes: [{ name: 'root', hostPath: { path: '/' } }], containers: [{ name: 'a', image: 'i', securityContext: { privileged: true } }, { name: 'b', image: 'i', securityContext: { privileged: true } }] };
    expect(refusal(pod(node), labels)).toBe(
      'pods "x" is forbidden: violates PodSecurity "baseline:latest": host namespaces (hostNetwork=true, hostPID=true), hostPath volumes (volume "root"), privileged (containers "a", "b" must not set securityContext.privileged=true)',
    );
  });

  it('privileged and unlabelled namespaces admit anything', () => {
    const node = { hostNetwork: true, containers: [{ name: 'a', image: 'i', securityContext: { privileged: true } }] };
    expect(refusal(pod(node), { 'pod-security.kubernetes.io/enforce': 'privileged' })).toBe('');
    expect(refusal(pod(node), {})).toBe('');
    expect(checkPod(node, 'privileged')).toEqual([]);
  });

  it('ephemeral containers are evaluated with the pod', () => {
    const p = structuredClone(compliant) as any;
    p.ephemeralContainers = [{ name: 'debugger-abc', image: 'nicolaka/netshoot', securityContext: { capabilities: { add: ['NET_RAW'] } } }];
    const msg = refusal(pod(p), { 'pod-security.kubernetes.io/enforce': 'baseline' });
    expect(msg).toContain('non-default capabilities (container "debugger-abc" must not include "NET_RAW" in securityContext.capabilities.add)');
  });

  it('warn returns the would-violate text; the header quotes it', () => {
    const w = admitPodSecurity(pod(netshoot()), ns({ 'pod-security.kubernetes.io/enforce': 'baseline', 'pod-security.kubernetes.io/warn': 'restricted' }));
    expect(w).toHaveLength(1);
    expect(w[0]).toMatch(/^would violate PodSecurity "restricted:latest": allowPrivilegeEscalation != false/);
    expect(warningHeader('a "b"')).toBe('299 - "a \\"b\\""');
  });

  it('reads levels and versions from the labels, ignoring invalid levels', () => {
    expect(namespacePolicy(ns({ 'pod-security.kubernetes.io/enforce': 'bogus', 'pod-security.kubernetes.io/audit': 'baseline' }))).toEqual({ audit: { level: 'baseline', version: 'latest' } });
  });
});
