// TLS for the front end (Ingress spec.tls and Gateway listener certificateRefs): the Secret, its certificate's
// dates and names, and — with probes — whether the load balancer actually serves it.
import type { Check } from '../path/model.ts';
import type { TlsFacts } from '../path/facts.ts';
import { EXPIRY_WARNING_DAYS, certCoversHost, certTiming, certificateInfo, describeCert, parsePemCertificates } from './certs.ts';
import { type CheckContext, mk, unreadable } from './util.ts';

function secretCmd(t: TlsFacts): string {
  return `kubectl get secret ${t.secretName} -n ${t.secretNamespace} -o jsonpath='{.data.tls\\.crt}' | base64 -d | openssl x509 -noout -subject -issuer -dates -ext subjectAltName`;
}

export function tlsChecks(ctx: CheckContext, entries: TlsFacts[]): Check[] {
  const f = ctx.facts;
  const host = f.host;
  const out: Check[] = [];
  if (f.scheme === 'https' && !entries.length && f.via === 'ingress') {
    out.push(
      mk(
        'ing.tls-host-not-covered',
        'warn',
        `no TLS entry of the Ingress covers ${host ?? 'this host'}: HTTPS gets the controller's default certificate`,
        [`spec.tls hosts: ${(f.ingress?.object.spec?.tls ?? []).flatMap((t: any) => t?.hosts ?? []).join(', ') || '(none)'}`],
        `kubectl get ingress ${f.ingress?.object.metadata.name} -n ${f.ingress?.object.metadata.namespace} -o yaml`,
      ),
    );
    return out;
  }
  let servedLeafFp: string | undefined;
  for (const t of entries) {
    if (!t.secretName) {
      out.push(mk('ing.tls-secret-missing', 'warn', `${t.from} has a TLS entry without secretName: the controller's default certificate is served`, [`hosts: ${t.hosts.join(', ') || '(all)'}`]));
      continue;
    }
    const label = `secret/${t.secretName} -n ${t.secretNamespace}`;
    if (t.refNotPermitted) {
      out.push(mk('route.ref-not-permitted', 'fail', `${t.from} references ${label} in another namespace without a ReferenceGrant`, [], `kubectl get referencegrants -n ${t.secretNamespace}`));
      continue;
    }
    if (!t.secret) continue;
    if (!t.secret.ok) {
      out.push(unreadable('ing.tls-secret-missing', label, t.secret.error, `kubectl auth can-i get secrets -n ${t.secretNamespace}`));
      continue;
    }
    const s = t.secret.value;
    if (!s) {
      const elsewhere = t.elsewhere?.ok ? t.elsewhere.value.map((x) => x.metadata.namespace!).filter((n) => n !== t.secretNamespace) : [];
      out.push(
        mk(
          'ing.tls-secret-missing',
          'fail',
          elsewhere.length
            ? `TLS Secret ${t.secretName} does not exist in namespace ${t.secretNamespace} (only in ${elsewhere.join(', ')}; Secrets are not shared across namespaces): the controller serves its fake default certificate`
            : `TLS Secret ${t.secretName} does not exist in namespace ${t.secretNamespace}: the controller serves its fake default certificate`,
          [
            `${t.from}: secretName ${t.secretName}`,
            ...(elsewhere.length ? elsewhere.map((n) => `secret/${t.secretName} exists in namespace ${n}`) : []),
            ...(t.elsewhere && !t.elsewhere.ok ? [`other namespaces not searched: ${t.elsewhere.error.message}`] : []),
          ],
          `kubectl get secret ${t.secretName} -n ${t.secretNamespace}`,
          [{ kind: 'Secret', name: t.secretName, namespace: t.secretNamespace }],
        ),
      );
      continue;
    }
    // Malformed: type, keys, PEM.
    const present = (s.netpathKeysPresent ?? {}) as Record<string, boolean>;
    const problems: string[] = [];
    if (s.type && s.type !== 'kubernetes.io/tls' && s.type !== 'Opaque') problems.push(`type ${s.type} (expected kubernetes.io/tls)`);
    if (!present['tls.key']) problems.push('tls.key is missing or empty');
    const crtB64 = typeof s.data?.['tls.crt'] === 'string' ? s.data['tls.crt'] : '';
    let certs: ReturnType<typeof parsePemCertificates> = [];
    if (!crtB64) problems.push('tls.crt is missing or empty');
    else {
      try {
        certs = parsePemCertificates(Buffer.from(crtB64, 'base64').toString('utf8'));
        if (!certs.length) problems.push('tls.crt holds no PEM certificate');
      } catch (e) {
        problems.push(`tls.crt does not parse: ${(e as Error).message}`);
      }
    }
    if (problems.length) {
      out.push(mk('ing.tls-secret-malformed', 'fail', `TLS Secret ${t.secretName} is malformed: ${problems[0]}`, problems, secretCmd(t), [{ kind: 'Secret', name: t.secretName, namespace: t.secretNamespace }]));
      continue;
    }
    const leaf = certs[0]!;
    const info = certificateInfo(leaf);
    const timing = certTiming(leaf, ctx.now);
    const ev = [`${label}: ${describeCert(info)}`, ...(certs.length > 1 ? [`chain: ${certs.length} certificates`] : [])];
    out.push(mk('ing.tls-secret-missing', 'ok', `TLS Secret ${t.secretName} exists (${t.from})`));
    if (timing.expired)
      out.push(mk('ing.tls-expired', 'fail', `the certificate in ${t.secretName} expired ${timing.daysAgo ? `${timing.daysAgo} day${timing.daysAgo === 1 ? '' : 's'} ago` : 'today'} (notAfter ${info.notAfter})`, ev, secretCmd(t), [{ kind: 'Secret', name: t.secretName, namespace: t.secretNamespace }]));
    else if (timing.notYetValid) out.push(mk('ing.tls-not-yet-valid', 'fail', `the certificate in ${t.secretName} is not valid before ${info.notBefore}`, ev, secretCmd(t)));
    else if (timing.daysLeft < EXPIRY_WARNING_DAYS) out.push(mk('ing.tls-expiring', 'warn', `the certificate in ${t.secretName} expires in ${timing.daysLeft} days (${info.notAfter})`, ev, secretCmd(t)));
    else out.push(mk('ing.tls-expired', 'ok', `certificate valid until ${info.notAfter.slice(0, 10)} (${timing.daysLeft} days)`, ev));
    if (host) {
      const covers = certCoversHost(leaf, host);
      out.push(
        covers
          ? mk('ing.tls-san-mismatch', 'ok', `the certificate covers ${host}`)
          : mk('ing.tls-san-mismatch', 'fail', `the certificate in ${t.secretName} does not name ${host} (SANs: ${info.sans.join(', ') || 'none'})`, ev, secretCmd(t)),
      );
    }
    servedLeafFp ??= info.fingerprint256;
    // Served certificate (probe).
    if (f.scheme === 'https' && host) {
      if (!ctx.probes) out.push(mk('ing.tls-served-mismatch', 'unknown', `not checked: ${ctx.probeSkipped ?? 'probes disabled'}`, [], `openssl s_client -connect ${f.lb.published[0] ?? host}:${f.port ?? 443} -servername ${host} </dev/null | openssl x509 -noout -subject -dates -fingerprint -sha256`));
      else {
        const served = ctx.probes.http.find((h) => h.url === probeUrl(ctx) && h.certificate);
        const attempt = ctx.probes.http.find((h) => h.url === probeUrl(ctx));
        if (!served)
          out.push(mk('ing.tls-served-mismatch', 'unknown', `not checked: no certificate was served${attempt?.error ? ` (${attempt.error})` : ''}`, attempt ? [`${attempt.url} via ${attempt.address ?? '?'}: ${attempt.error ?? `HTTP ${attempt.status}`}`] : []));
        else if (served.certificate!.fingerprint256 === info.fingerprint256) out.push(mk('ing.tls-served-mismatch', 'ok', `the load balancer serves the Secret's certificate for ${host}`));
        else
          out.push(
            mk(
              'ing.tls-served-mismatch',
              'fail',
              `the load balancer serves a different certificate for ${host} than ${t.secretName} holds${/Fake Certificate/i.test(served.certificate!.subject) ? ' (the controller\'s fake default certificate)' : ''}`,
              [`served: ${describeCert(served.certificate!)}`, `secret: ${describeCert(info)}`],
              `openssl s_client -connect ${served.address ?? host}:${f.port ?? 443} -servername ${host} </dev/null | openssl x509 -noout -subject -dates`,
            ),
          );
      }
    }
  }
  return out;
}

/** The URL the HTTP probe requests for a path. */
export function probeUrl(ctx: CheckContext): string {
  return pathUrl(ctx.facts);
}

export function pathUrl(f: { host?: string; path: string; scheme?: 'http' | 'https'; port?: number; lb: { published: string[] } }): string {
  const scheme = f.scheme ?? 'http';
  const host = f.host && !f.host.startsWith('*.') ? f.host : (f.lb.published[0] ?? 'unknown');
  const h = host.includes(':') ? `[${host}]` : host;
  const defPort = scheme === 'https' ? 443 : 80;
  return `${scheme}://${h}${f.port && f.port !== defPort ? `:${f.port}` : ''}${f.path || '/'}`;
}
