// The lab issuer (docs/LAB.md): Secrets annotated `lab.netpath.dev/certificate` get a certificate signed by the
// lab CA in tls.crt/tls.key (and the CA in ca.crt, as cert-manager's CA issuer writes it). Issued once per spec:
// a hash of the spec is kept in `lab.netpath.dev/certificate-hash`, and the Secret is only rewritten when the
// spec changes or the certificate is missing.
import { createHash } from 'node:crypto';
import type { ResourceDef } from '../resources.ts';
import type { KObject } from '../types.ts';
import { issue, relativeDate } from '../pki.ts';
import { type Controller, type ControllerContext, keyOf, splitKey, WorkQueue } from './runtime.ts';

export const CERTIFICATE_ANNOTATION = 'lab.netpath.dev/certificate';
export const CERTIFICATE_HASH_ANNOTATION = 'lab.netpath.dev/certificate-hash';
const COMPONENT = 'lab-issuer';

export interface CertificateSpec {
  dnsNames: string[];
  notBefore?: string;
  notAfter?: string;
  /** `lab-ca` (the default) or `self-signed`. */
  issuer?: string;
}

/** Parses and checks the annotation; throws an Error whose message is fit for a Warning event. */
export function parseCertificateSpec(raw: string): CertificateSpec {
  let v: any;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new Error(`invalid JSON in ${CERTIFICATE_ANNOTATION}: ${(e as Error).message}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${CERTIFICATE_ANNOTATION} must be a JSON object`);
  if (!Array.isArray(v.dnsNames) || !v.dnsNames.length || v.dnsNames.some((d: unknown) => typeof d !== 'string' || !d))
    throw new Error(`${CERTIFICATE_ANNOTATION}: dnsNames must be a non-empty list of names`);
  for (const f of ['notBefore', 'notAfter'] as const) {
    if (v[f] === undefined) continue;
    if (typeof v[f] !== 'string') throw new Error(`${CERTIFICATE_ANNOTATION}: ${f} must be a duration such as "-30d" or "90d"`);
    relativeDate(v[f]); // throws on a bad duration
  }
  if (v.issuer !== undefined && v.issuer !== 'lab-ca' && v.issuer !== 'self-signed')
    throw new Error(`${CERTIFICATE_ANNOTATION}: unknown issuer ${JSON.stringify(v.issuer)} (expected "lab-ca" or "self-signed")`);
  return { dnsNames: v.dnsNames, notBefore: v.notBefore, notAfter: v.notAfter, issuer: v.issuer };
}

export function certificateSpecHash(spec: CertificateSpec): string {
  const canonical = JSON.stringify([spec.dnsNames, spec.notBefore ?? null, spec.notAfter ?? null, spec.issuer ?? 'lab-ca']);
  return createHash('sha256').update(canonical).digest('hex').slice(0, 16);
}

export function labIssuer(): Controller {
  let queue: WorkQueue | undefined;
  let ctx: ControllerContext;
  let def: ResourceDef;
  /** Durations are relative to lab start. */
  let labStart = Date.now();
  /** key → spec hash being issued right now. */
  const inFlight = new Map<string, string>();
  /** key → the annotation value last reported as bad (one Warning per bad value). */
  const reported = new Map<string, string>();
  let stopped = false;

  function reconcile(key: string): void {
    const [ns, name] = splitKey(key);
    const secret = ctx.store.get(def, ns, name);
    const raw = secret?.metadata.annotations?.[CERTIFICATE_ANNOTATION];
    if (!secret || raw === undefined || secret.metadata.deletionTimestamp) {
      reported.delete(key);
      return;
    }
    let spec: CertificateSpec;
    try {
      spec = parseCertificateSpec(raw);
    } catch (e) {
      if (reported.get(key) !== raw) {
        reported.set(key, raw);
        ctx.event(secret, 'Warning', 'InvalidCertificateSpec', (e as Error).message, COMPONENT);
      }
      return;
    }
    reported.delete(key);
    const hash = certificateSpecHash(spec);
    if (secret.data?.['tls.crt'] && secret.metadata.annotations?.[CERTIFICATE_HASH_ANNOTATION] === hash) return;
    if (inFlight.get(key) === hash) return;
    inFlight.set(key, hash);
    void issueFor(key, spec, hash).finally(() => {
      if (inFlight.get(key) === hash) inFlight.delete(key);
    });
  }

  async function issueFor(key: string, spec: CertificateSpec, hash: string): Promise<void> {
    const selfSigned = spec.issuer === 'self-signed';
    let cert: Awaited<ReturnType<typeof issue>>;
    try {
      cert = await issue({
        commonName: spec.dnsNames[0]!,
        dnsNames: spec.dnsNames,
        ...(spec.notBefore ? { notBefore: relativeDate(spec.notBefore, labStart) } : {}),
        ...(spec.notAfter ? { notAfter: relativeDate(spec.notAfter, labStart) } : {}),
        ...(selfSigned ? {} : { issuer: ctx.ca }),
      });
    } catch (e) {
      const [ns, name] = splitKey(key);
      const secret = ctx.store.get(def, ns, name);
      if (secret && !stopped) ctx.event(secret, 'Warning', 'IssuingFailed', `failed to issue certificate: ${(e as Error).message}`, COMPONENT);
      return;
    }
    if (stopped) return;
    const [ns, name] = splitKey(key);
    const current = ctx.store.get(def, ns, name);
    const raw = current?.metadata.annotations?.[CERTIFICATE_ANNOTATION];
    // The spec may have changed (or the Secret gone) while the key was being generated.
    if (!current || raw === undefined) return;
    let now: CertificateSpec;
    try {
      now = parseCertificateSpec(raw);
    } catch {
      return;
    }
    if (certificateSpecHash(now) !== hash) return;
    ctx.store.mutate(def, ns, name, (d) => {
      d.data = {
        ...(d.data ?? {}),
        'tls.crt': Buffer.from(cert.certPem).toString('base64'),
        'tls.key': Buffer.from(cert.keyPem).toString('base64'),
        ...(selfSigned ? {} : { 'ca.crt': Buffer.from(ctx.ca.certPem).toString('base64') }),
      };
      d.metadata.annotations = { ...(d.metadata.annotations ?? {}), [CERTIFICATE_HASH_ANNOTATION]: hash };
    });
  }

  return {
    name: 'lab-issuer',
    start(c) {
      ctx = c;
      def = c.type('', 'secrets');
      labStart = Date.now();
      stopped = false;
      queue = new WorkQueue(reconcile, (k, e) => console.error(`lab: issuer: ${k}: ${(e as Error)?.stack ?? e}`));
      for (const s of c.store.list(def)) if (s.metadata.annotations?.[CERTIFICATE_ANNOTATION] !== undefined) queue.add(keyOf(s));
    },
    onEvent(ev, d) {
      if (!queue || d.group !== '' || d.plural !== 'secrets') return;
      const key = keyOf(ev.object);
      if (ev.type === 'DELETED') {
        reported.delete(key);
        return;
      }
      if (ev.object.metadata.annotations?.[CERTIFICATE_ANNOTATION] !== undefined) queue.add(key);
    },
    stop() {
      stopped = true;
      queue?.stop();
    },
  };
}

/** For tests and tools: the Secret's certificate as PEM, if any. */
export function secretCertificatePem(secret: KObject): string | undefined {
  const b64 = secret.data?.['tls.crt'];
  return typeof b64 === 'string' && b64 ? Buffer.from(b64, 'base64').toString('utf8') : undefined;
}
