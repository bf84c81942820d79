// Certificates: PEM parsing with node:crypto's X509Certificate, the CertificateInfo of the report, and the checks
// on a TLS Secret's tls.crt (never its key: the Fetcher drops private key material on arrival).
import { X509Certificate } from 'node:crypto';
import type { CertificateInfo } from '../path/model.ts';

export const EXPIRY_WARNING_DAYS = 14;

/** Every certificate in a PEM bundle, in order (leaf first for a chain). Throws on a block that does not parse. */
export function parsePemCertificates(pem: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((b) => new X509Certificate(b));
}

/** `DNS:a.example, IP Address:10.0.0.1` → ['a.example', '10.0.0.1']. */
export function subjectAltNames(c: X509Certificate): string[] {
  const raw = c.subjectAltName ?? '';
  const out: string[] = [];
  for (const part of raw.split(/,\s*/)) {
    const m = /^(DNS|IP Address):(.*)$/.exec(part.trim());
    if (m) out.push(m[2]!.trim());
  }
  return out;
}

function oneLineDn(dn: string): string {
  return dn.split('\n').filter(Boolean).join(', ');
}

export function certificateInfo(c: X509Certificate): CertificateInfo {
  return {
    subject: oneLineDn(c.subject),
    issuer: oneLineDn(c.issuer),
    sans: subjectAltNames(c),
    notBefore: new Date(c.validFrom).toISOString(),
    notAfter: new Date(c.validTo).toISOString(),
    fingerprint256: c.fingerprint256,
    selfSigned: c.subject === c.issuer && (() => {
      try {
        return c.verify(c.publicKey);
      } catch {
        return false;
      }
    })(),
  };
}

/** Whether the certificate is valid for the host (RFC 6125: SANs first, a wildcard matches one label). */
export function certCoversHost(c: X509Certificate, host: string): boolean {
  if (host.startsWith('*.')) {
    // A wildcard rule host: the certificate must carry the same wildcard (or cover any label under it).
    return subjectAltNames(c).some((s) => s.toLowerCase() === host.toLowerCase()) || !!c.checkHost(`netpath-probe${host.slice(1)}`);
  }
  if (/^[\d.]+$|:/.test(host)) return !!c.checkIP(host);
  return !!c.checkHost(host);
}

export interface CertTiming {
  expired: boolean;
  notYetValid: boolean;
  daysLeft: number;
  /** Whole days since notAfter (expired certificates). */
  daysAgo: number;
}

export function certTiming(c: X509Certificate, now: number): CertTiming {
  const from = Date.parse(c.validFrom);
  const to = Date.parse(c.validTo);
  return { expired: to < now, notYetValid: from > now, daysLeft: Math.floor((to - now) / 86400_000), daysAgo: Math.max(0, Math.floor((now - to) / 86400_000)) };
}

export function describeCert(info: CertificateInfo): string {
  return `subject ${info.subject || '(empty)'}; issuer ${info.issuer || '(empty)'}; SANs ${info.sans.join(', ') || '(none)'}; valid ${info.notBefore.slice(0, 10)} → ${info.notAfter.slice(0, 10)}; sha256 ${info.fingerprint256.slice(0, 23)}…`;
}
