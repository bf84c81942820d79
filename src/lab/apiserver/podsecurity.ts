// Pod Security admission (k8s.io/pod-security-admission v0.32), for namespaces labelled
// `pod-security.kubernetes.io/enforce|warn|audit: privileged|baseline|restricted` (+ `-version`).
//
// The checks and their wording are upstream's (policy/check_*.go): each failing check contributes
// `<reason> (<detail>)`, checks are reported in the order of their IDs, and an enforced violation is a 403:
//   pods "x" is forbidden: violates PodSecurity "restricted:latest": allowPrivilegeEscalation != false (container
//   "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (...), ...
// `warn` violations become `Warning: 299 - "would violate PodSecurity ..."` response headers; `audit` only
// annotates audit events, which the lab does not write.
// Pods are evaluated on create and when ephemeral containers are added (the ephemeralcontainers subresource is
// not exempt); controllers' pod templates are not evaluated here (upstream only warns about them).
import type { KObject } from '../types.ts';
import { forbidden } from '../store/errors.ts';

export type Level = 'privileged' | 'baseline' | 'restricted';

const LEVELS: Level[] = ['privileged', 'baseline', 'restricted'];
const BASELINE_CAPS = new Set(['AUDIT_WRITE', 'CHOWN', 'DAC_OVERRIDE', 'FOWNER', 'FSETID', 'KILL', 'MKNOD', 'NET_BIND_SERVICE', 'SETFCAP', 'SETGID', 'SETPCAP', 'SETUID', 'SYS_CHROOT']);
const RESTRICTED_VOLUMES = new Set(['configMap', 'csi', 'downwardAPI', 'emptyDir', 'ephemeral', 'persistentVolumeClaim', 'projected', 'secret']);
const ALL_VOLUME_TYPES = ['awsElasticBlockStore', 'azureDisk', 'azureFile', 'cephfs', 'cinder', 'fc', 'flexVolume', 'flocker', 'gcePersistentDisk', 'gitRepo', 'glusterfs', 'hostPath', 'image', 'iscsi', 'nfs', 'photonPersistentDisk', 'portworxVolume', 'quobyte', 'rbd', 'scaleIO', 'storageos', 'vsphereVolume'];

interface Violation {
  id: string;
  reason: string;
  detail: string;
}

const q = (s: string) => `"${s}"`;
const joinQuote = (xs: string[]) => xs.map(q).join(', ');
const plural = (one: string, many: string, n: number) => (n === 1 ? one : many);
const containersWord = (names: string[]) => `${plural('container', 'containers', names.length)} ${joinQuote(names)}`;

interface Ctr {
  name: string;
  sc: any;
  c: any;
}

function containersOf(spec: any): Ctr[] {
  const out: Ctr[] = [];
  for (const list of [spec?.initContainers, spec?.containers, spec?.ephemeralContainers]) for (const c of list ?? []) out.push({ name: String(c?.name ?? ''), sc: c?.securityContext ?? {}, c });
  return out;
}

/** Every violation of `level` by a pod spec, ordered by check ID. */
export function checkPod(spec: any, level: Level): Violation[] {
  if (level === 'privileged') return [];
  const v: Violation[] = [];
  const psc = spec?.securityContext ?? {};
  const ctrs = containersOf(spec);

  // ── baseline ──
  // capabilities_baseline (superseded by capabilities_restricted at restricted)
  if (level === 'baseline') {
    const bad: string[] = [];
    const caps = new Set<string>();
    for (const c of ctrs) {
      const added: string[] = (c.sc.capabilities?.add ?? []).map(String);
      const forbiddenCaps = added.filter((a) => !BASELINE_CAPS.has(a));
      if (forbiddenCaps.length) {
        bad.push(c.name);
        for (const a of forbiddenCaps) caps.add(a);
      }
    }
    if (bad.length) v.push({ id: 'capabilities_baseline', reason: 'non-default capabilities', detail: `${containersWord(bad)} must not include ${joinQuote([...caps].sort())} in securityContext.capabilities.add` });
  }
  // hostNamespaces
  const hostNs: string[] = [];
  if (spec?.hostNetwork) hostNs.push('hostNetwork=true');
  if (spec?.hostPID) hostNs.push('hostPID=true');
  if (spec?.hostIPC) hostNs.push('hostIPC=true');
  if (hostNs.length) v.push({ id: 'hostNamespaces', reason: 'host namespaces', detail: hostNs.join(', ') });
  // hostPathVolumes
  const hostPaths = (spec?.volumes ?? []).filter((x: any) => x?.hostPath).map((x: any) => String(x.name));
  if (hostPaths.length) v.push({ id: 'hostPathVolumes', reason: 'hostPath volumes', detail: `${plural('volume', 'volumes', hostPaths.length)} ${joinQuote(hostPaths)}` });
  // hostPorts
  {
    const bad: string[] = [];
    const ports: number[] = [];
    for (const c of ctrs) {
      const hp = (c.c?.ports ?? []).map((p: any) => p?.hostPort).filter((x: any) => x);
      if (hp.length) {
        bad.push(c.name);
        ports.push(...hp);
      }
    }
    if (bad.length) v.push({ id: 'hostPorts', reason: 'hostPort', detail: `${containersWord(bad)} ${plural('uses', 'use', bad.length)} ${plural('hostPort', 'hostPorts', ports.length)} ${ports.join(', ')}` });
  }
  // privileged
  {
    const bad = ctrs.filter((c) => c.sc.privileged === true).map((c) => c.name);
    if (bad.length) v.push({ id: 'privileged', reason: 'privileged', detail: `${containersWord(bad)} must not set securityContext.privileged=true` });
  }
  // seccompProfile_baseline: Unconfined is forbidden (restricted reports it in its own check)
  if (level === 'baseline') {
    const d: string[] = [];
    if (psc.seccompProfile?.type === 'Unconfined') d.push('pod must not set securityContext.seccompProfile.type to "Unconfined"');
    const bad = ctrs.filter((c) => c.sc.seccompProfile?.type === 'Unconfined').map((c) => c.name);
    if (bad.length) d.push(`${containersWord(bad)} must not set securityContext.seccompProfile.type to "Unconfined"`);
    if (d.length) v.push({ id: 'seccompProfile_baseline', reason: 'seccompProfile', detail: d.join('; ') });
  }

  if (level === 'restricted') {
    // allowPrivilegeEscalation
    {
      const bad = ctrs.filter((c) => c.sc.allowPrivilegeEscalation !== false).map((c) => c.name);
      if (bad.length) v.push({ id: 'allowPrivilegeEscalation', reason: 'allowPrivilegeEscalation != false', detail: `${containersWord(bad)} must set securityContext.allowPrivilegeEscalation=false` });
    }
    // capabilities_restricted
    {
      const missingDrop: string[] = [];
      const adding: string[] = [];
      const caps = new Set<string>();
      for (const c of ctrs) {
        const drop: string[] = (c.sc.capabilities?.drop ?? []).map(String);
        if (!drop.includes('ALL')) missingDrop.push(c.name);
        const bad = (c.sc.capabilities?.add ?? []).map(String).filter((a: string) => a !== 'NET_BIND_SERVICE');
        if (bad.length) {
          adding.push(c.name);
          for (const a of bad) caps.add(a);
        }
      }
      const d: string[] = [];
      if (missingDrop.length) d.push(`${containersWord(missingDrop)} must set securityContext.capabilities.drop=["ALL"]`);
      if (adding.length) d.push(`${containersWord(adding)} must not include ${joinQuote([...caps].sort())} in securityContext.capabilities.add`);
      if (d.length) v.push({ id: 'capabilities_restricted', reason: 'unrestricted capabilities', detail: d.join('; ') });
    }
    // restrictedVolumes
    {
      const d: string[] = [];
      for (const vol of spec?.volumes ?? []) {
        const type = ALL_VOLUME_TYPES.find((t) => vol?.[t] !== undefined) ?? Object.keys(vol ?? {}).find((k) => k !== 'name' && !RESTRICTED_VOLUMES.has(k));
        if (type && !RESTRICTED_VOLUMES.has(type)) d.push(`volume ${q(String(vol.name))} uses restricted volume type ${q(type)}`);
      }
      if (d.length) v.push({ id: 'restrictedVolumes', reason: 'restricted volume types', detail: d.join(', ') });
    }
    // runAsNonRoot
    {
      const d: string[] = [];
      if (psc.runAsNonRoot === false) d.push('pod must not set securityContext.runAsNonRoot=false');
      const explicitFalse = ctrs.filter((c) => c.sc.runAsNonRoot === false).map((c) => c.name);
      if (explicitFalse.length) d.push(`${containersWord(explicitFalse)} must not set securityContext.runAsNonRoot=false`);
      if (psc.runAsNonRoot !== true) {
        const implicit = ctrs.filter((c) => c.sc.runAsNonRoot === undefined || c.sc.runAsNonRoot === null).map((c) => c.name);
        if (implicit.length) d.push(`pod or ${containersWord(implicit)} must set securityContext.runAsNonRoot=true`);
      }
      if (d.length) v.push({ id: 'runAsNonRoot', reason: 'runAsNonRoot != true', detail: d.join('; ') });
    }
    // runAsUser
    {
      const d: string[] = [];
      if (psc.runAsUser === 0) d.push('pod must not set runAsUser=0');
      const bad = ctrs.filter((c) => c.sc.runAsUser === 0).map((c) => c.name);
      if (bad.length) d.push(`${containersWord(bad)} must not set runAsUser=0`);
      if (d.length) v.push({ id: 'runAsUser', reason: 'runAsUser=0', detail: d.join('; ') });
    }
    // seccompProfile_restricted
    {
      const ok = (t: unknown) => t === 'RuntimeDefault' || t === 'Localhost';
      const d: string[] = [];
      const podType = psc.seccompProfile?.type;
      if (podType !== undefined && !ok(podType)) d.push(`pod must not set securityContext.seccompProfile.type to ${q(String(podType))}`);
      const badExplicit = ctrs.filter((c) => c.sc.seccompProfile?.type !== undefined && !ok(c.sc.seccompProfile.type));
      if (badExplicit.length) d.push(`${containersWord(badExplicit.map((c) => c.name))} must not set securityContext.seccompProfile.type to ${joinQuote([...new Set(badExplicit.map((c) => String(c.sc.seccompProfile.type)))])}`);
      if (!ok(podType)) {
        const implicit = ctrs.filter((c) => c.sc.seccompProfile?.type === undefined).map((c) => c.name);
        if (implicit.length) d.push(`pod or ${containersWord(implicit)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost"`);
      }
      if (d.length) v.push({ id: 'seccompProfile_restricted', reason: 'seccompProfile', detail: d.join('; ') });
    }
  }
  return v.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

export interface NamespacePolicy {
  enforce?: { level: Level; version: string };
  warn?: { level: Level; version: string };
  audit?: { level: Level; version: string };
}

/** The namespace's PodSecurity labels (an invalid level is ignored, as upstream falls back to the default). */
export function namespacePolicy(ns: KObject | undefined): NamespacePolicy {
  const labels = ns?.metadata?.labels ?? {};
  const out: NamespacePolicy = {};
  for (const mode of ['enforce', 'warn', 'audit'] as const) {
    const level = labels[`pod-security.kubernetes.io/${mode}`] as Level | undefined;
    if (!level || !LEVELS.includes(level)) continue;
    const version = labels[`pod-security.kubernetes.io/${mode}-version`] || 'latest';
    out[mode] = { level, version };
  }
  return out;
}

export function describe(level: Level, version: string, violations: Violation[]): string {
  return `"${level}:${version}": ${violations.map((x) => `${x.reason} (${x.detail})`).join(', ')}`;
}

/**
 * Admits a pod in a namespace: throws the 403 upstream returns for an enforced violation, returns the warnings
 * (`would violate PodSecurity ...`) for the warn level.
 */
export function admitPodSecurity(pod: KObject, ns: KObject | undefined): string[] {
  const policy = namespacePolicy(ns);
  const warnings: string[] = [];
  if (policy.warn) {
    const v = checkPod(pod.spec, policy.warn.level);
    if (v.length) warnings.push(`would violate PodSecurity ${describe(policy.warn.level, policy.warn.version, v)}`);
  }
  if (policy.enforce) {
    const v = checkPod(pod.spec, policy.enforce.level);
    if (v.length) {
      const name = pod.metadata?.name ?? pod.metadata?.generateName ?? '';
      throw forbidden(`pods "${name}" is forbidden: violates PodSecurity ${describe(policy.enforce.level, policy.enforce.version, v)}`, { name, kind: 'pods' });
    }
  }
  return warnings;
}

/** A `Warning` response header value (RFC 7234 warn-code 299, quoted text). */
export function warningHeader(text: string): string {
  return `299 - "${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
