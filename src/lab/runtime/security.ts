// What a container may do, as containerd and the kernel decide it: raw sockets (CAP_NET_RAW), NET_ADMIN, the user
// it runs as, and the lab's rule for images that cannot be pulled.
import type { KObject } from '../types.ts';

const capName = (x: unknown) => String(x).toUpperCase().replace(/^CAP_/, '');

/** Images whose default user is not root (the rest — netshoot, busybox, curl images… — run as root). */
const NON_ROOT_IMAGES = /nginx-unprivileged|distroless\/.*:nonroot|(^|\/)curlimages\/curl(:|@|$)|bitnami\//;

/** The UID the container's process runs as: runAsUser (container, then pod), else the image's user. */
export function runAsUser(pod: KObject, c: any): number {
  const uid = c?.securityContext?.runAsUser ?? pod?.spec?.securityContext?.runAsUser;
  if (uid !== undefined && uid !== null && Number.isFinite(Number(uid))) return Number(uid);
  return NON_ROOT_IMAGES.test(String(c?.image ?? '')) ? 65532 : 0;
}

/** The image's user is root and nothing overrides it (what the kubelet's runAsNonRoot check refuses). */
export function runsAsRoot(pod: KObject, c: any): boolean {
  return runAsUser(pod, c) === 0;
}

/**
 * Effective capability `cap` of the container's process. containerd's default set includes NET_RAW (not
 * NET_ADMIN); `drop` removes, `add` adds, privileged has everything; a non-root process has no effective
 * capabilities (no ambient capabilities in Kubernetes).
 */
export function hasCapability(pod: KObject, c: any, cap: string, inDefault: boolean): boolean {
  const sc = c?.securityContext ?? {};
  if (sc.privileged === true) return true;
  if (runAsUser(pod, c) !== 0) return false;
  const add: string[] = (sc.capabilities?.add ?? []).map(capName);
  const drop: string[] = (sc.capabilities?.drop ?? []).map(capName);
  if (add.includes(cap) || add.includes('ALL')) return true;
  if (drop.includes(cap) || drop.includes('ALL')) return false;
  return inDefault;
}

/** Whether ping, traceroute -T/-I and tcptraceroute can open their raw sockets. */
export function rawSockets(pod: KObject, c: any): boolean {
  return hasCapability(pod, c, 'NET_RAW', true);
}

/** Whether iptables-save, ipvsadm and conntrack may read the netfilter state. */
export function netAdmin(pod: KObject, c: any): boolean {
  return hasCapability(pod, c, 'NET_ADMIN', false);
}

/** Registry host of an image reference (docker.io when it names none). */
export function registryHost(image: string): string {
  const ref = image.split('@')[0]!;
  const slash = ref.indexOf('/');
  const first = slash >= 0 ? ref.slice(0, slash) : '';
  return slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost') ? first : 'docker.io';
}

/**
 * The lab's rule for images that cannot exist (docs/LAB.md "Helper pods"): a registry host under `.invalid`
 * (RFC 2606: never resolves) fails with containerd's "no such host" error; a namespace annotated
 * `lab.netpath.dev/image-pull: fail` (an air-gapped namespace) fails every pull with "not found". Returns the
 * error message the kubelet reports, or undefined when the pull succeeds.
 */
export function imagePullFailure(image: string, namespace?: KObject): string | undefined {
  const n = normalizeRef(image);
  const host = registryHost(image);
  if (host.replace(/:\d+$/, '').endsWith('.invalid')) {
    const repo = n.slice(host.length + 1).split('@')[0]!.replace(/:[^/:]+$/, '');
    const tag = /:([^/:@]+)(@|$)/.exec(n.slice(host.length + 1))?.[1] ?? 'latest';
    return `rpc error: code = Unknown desc = failed to pull and unpack image "${n}": failed to resolve reference "${n}": failed to do request: Head "https://${host}/v2/${repo}/manifests/${tag}": dial tcp: lookup ${host.replace(/:\d+$/, '')}: no such host`;
  }
  if (namespace?.metadata?.annotations?.['lab.netpath.dev/image-pull'] === 'fail') {
    return `rpc error: code = NotFound desc = failed to pull and unpack image "${n}": failed to resolve reference "${n}": ${n}: not found`;
  }
  return undefined;
}

function normalizeRef(image: string): string {
  let ref = image;
  const at = ref.indexOf('@');
  const digest = at >= 0 ? ref.slice(at) : '';
  if (at >= 0) ref = ref.slice(0, at);
  if (registryHost(image) === 'docker.io' && !ref.startsWith('docker.io/')) ref = ref.includes('/') ? `docker.io/${ref}` : `docker.io/library/${ref}`;
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  if (!digest && !last.includes(':')) ref += ':latest';
  return ref + digest;
}
