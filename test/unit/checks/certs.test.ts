import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { certCoversHost, certTiming, certificateInfo, parsePemCertificates, subjectAltNames } from '../../../src/checks/certs.ts';
import { tlsChecks } from '../../../src/checks/tls.ts';
import type { CheckContext } from '../../../src/checks/util.ts';
import { type CertificateAuthority, createCA, issue } from '../../../src/lab/pki.ts';
import { got } from '../../../src/path/fetch.ts';
import type { PathFacts, TlsFacts } from '../../../src/path/facts.ts';
import type { KObject } from '../../../src/kube/types.ts';
import { HAVE_SHARED, SHARED_FIXTURES } from '../path/fixtures.ts';

const DAY = 86400_000;
let ca: CertificateAuthority;
beforeAll(async () => {
  ca = await createCA();
});

describe('certificate parsing', () => {
  it.skipIf(!HAVE_SHARED)('reads the Let\'s Encrypt sample from ../shared/fixtures', () => {
    const pem = readFileSync(join(SHARED_FIXTURES, 'commands/openssl/jc-generic_x509-letsencrypt.pem'), 'utf8');
    const [c] = parsePemCertificates(pem);
    expect(c).toBeDefined();
    const info = certificateInfo(c!);
    expect(info.issuer).toMatch(/Let's Encrypt|ISRG|DST/);
    expect(info.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(Date.parse(info.notAfter)).toBeGreaterThan(Date.parse(info.notBefore));
  });

  it('reads SANs, wildcards, IPs and validity', async () => {
    const cert = await issue({ commonName: 'shop', dnsNames: ['shop.example.com', '*.apps.example.com'], ipAddresses: ['10.0.0.1'], issuer: ca, notBefore: new Date(Date.now() - DAY), notAfter: new Date(Date.now() + 10 * DAY) });
    const [c] = parsePemCertificates(cert.certPem + ca.certPem);
    expect(subjectAltNames(c!)).toEqual(['shop.example.com', '*.apps.example.com', '10.0.0.1']);
    expect(certCoversHost(c!, 'shop.example.com')).toBe(true);
    expect(certCoversHost(c!, 'a.apps.example.com')).toBe(true);
    expect(certCoversHost(c!, 'a.b.apps.example.com')).toBe(false);
    expect(certCoversHost(c!, 'other.example.com')).toBe(false);
    expect(certCoversHost(c!, '10.0.0.1')).toBe(true);
    expect(certCoversHost(c!, '*.apps.example.com')).toBe(true);
    expect(certTiming(c!, Date.now())).toMatchObject({ expired: false, notYetValid: false, daysLeft: 9 });
    expect(certificateInfo(c!).selfSigned).toBe(false);
    expect(certificateInfo(parsePemCertificates(ca.certPem)[0]!).selfSigned).toBe(true);
    expect(() => parsePemCertificates('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----')).toThrow();
  });
});

function secret(name: string, crtPem: string | undefined, keyPresent = true, type = 'kubernetes.io/tls'): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    type,
    metadata: { name, namespace: 'shop' },
    data: crtPem === undefined ? {} : { 'tls.crt': Buffer.from(crtPem).toString('base64') },
    netpathKeysPresent: { 'tls.crt': !!crtPem, 'tls.key': keyPresent },
  };
}

function ctxFor(host: string): CheckContext {
  return { facts: { id: host, via: 'ingress', host, path: '/', scheme: 'https', lb: { published: ['203.0.113.10'] }, cluster: {} as never } as PathFacts, now: Date.now() };
}

function tls(s: KObject | undefined, extra: Partial<TlsFacts> = {}): TlsFacts {
  return { hosts: ['shop.example.com'], secretName: 'shop-tls', secretNamespace: 'shop', from: 'ingress/shop', secret: got(s), ...extra };
}

describe('TLS secret checks', () => {
  const ids = (cs: { id: string; status: string }[]) => cs.map((c) => `${c.id}:${c.status}`);

  it('passes a valid certificate for the host', async () => {
    const cert = await issue({ commonName: 'shop', dnsNames: ['shop.example.com'], issuer: ca, notAfter: new Date(Date.now() + 60 * DAY) });
    expect(ids(tlsChecks(ctxFor('shop.example.com'), [tls(secret('shop-tls', cert.certPem))]))).toEqual(['ing.tls-secret-missing:ok', 'ing.tls-expired:ok', 'ing.tls-san-mismatch:ok', 'ing.tls-served-mismatch:unknown']);
  });

  it('fails an expired certificate, warns before expiry, fails a SAN mismatch', async () => {
    const expired = await issue({ commonName: 'x', dnsNames: ['shop.example.com'], issuer: ca, notBefore: new Date(Date.now() - 120 * DAY), notAfter: new Date(Date.now() - 3 * DAY) });
    const r = tlsChecks(ctxFor('shop.example.com'), [tls(secret('shop-tls', expired.certPem))]);
    expect(r.find((c) => c.id === 'ing.tls-expired')).toMatchObject({ status: 'fail', message: expect.stringMatching(/expired 3 days ago/) });
    const soon = await issue({ commonName: 'x', dnsNames: ['shop.example.com'], issuer: ca, notAfter: new Date(Date.now() + 5 * DAY) });
    expect(tlsChecks(ctxFor('shop.example.com'), [tls(secret('shop-tls', soon.certPem))]).find((c) => c.id === 'ing.tls-expiring')?.status).toBe('warn');
    const other = await issue({ commonName: 'x', dnsNames: ['www.example.org'], issuer: ca });
    expect(tlsChecks(ctxFor('shop.example.com'), [tls(secret('shop-tls', other.certPem))]).find((c) => c.id === 'ing.tls-san-mismatch')).toMatchObject({ status: 'fail', message: expect.stringMatching(/www.example.org/) });
    const future = await issue({ commonName: 'x', dnsNames: ['shop.example.com'], issuer: ca, notBefore: new Date(Date.now() + 2 * DAY), notAfter: new Date(Date.now() + 90 * DAY) });
    expect(tlsChecks(ctxFor('shop.example.com'), [tls(secret('shop-tls', future.certPem))]).find((c) => c.id === 'ing.tls-not-yet-valid')?.status).toBe('fail');
  });

  it('fails a missing Secret and names the namespaces holding one of that name', () => {
    const elsewhere = got([secret('shop-tls', undefined)].map((s) => ({ ...s, metadata: { name: 'shop-tls', namespace: 'cert-manager' } })));
    const [c] = tlsChecks(ctxFor('shop.example.com'), [tls(undefined, { elsewhere })]);
    expect(c).toMatchObject({ id: 'ing.tls-secret-missing', status: 'fail', message: expect.stringMatching(/only in cert-manager/) });
  });

  it('fails malformed Secrets without reading the key', () => {
    const [noKey] = tlsChecks(ctxFor('shop.example.com'), [tls(secret('shop-tls', '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----', false))]);
    expect(noKey).toMatchObject({ id: 'ing.tls-secret-malformed', status: 'fail' });
    expect(noKey!.evidence.join('\n')).toMatch(/tls.key is missing/);
    const [empty] = tlsChecks(ctxFor('shop.example.com'), [tls(secret('shop-tls', ''))]);
    expect(empty).toMatchObject({ id: 'ing.tls-secret-malformed', message: expect.stringMatching(/tls.crt is missing or empty/) });
    const [wrongType] = tlsChecks(ctxFor('shop.example.com'), [tls(secret('shop-tls', 'x', true, 'kubernetes.io/dockerconfigjson'))]);
    expect(wrongType!.id).toBe('ing.tls-secret-malformed');
  });

  it('is unknown when the Secret cannot be read', () => {
    const [c] = tlsChecks(ctxFor('shop.example.com'), [{ ...tls(undefined), secret: { ok: false, error: { reason: 'Forbidden', message: 'secrets "shop-tls" is forbidden', what: 'get secrets shop-tls -n shop' } } }]);
    expect(c).toMatchObject({ id: 'ing.tls-secret-missing', status: 'unknown' });
    expect(c!.evidence[0]).toMatch(/forbidden/);
  });

  it('compares the served certificate with the Secret\'s', async () => {
    const cert = await issue({ commonName: 'shop', dnsNames: ['shop.example.com'], issuer: ca });
    const fake = await issue({ commonName: 'Kubernetes Ingress Controller Fake Certificate', organization: 'Acme Co', dnsNames: ['ingress.local'] });
    const info = (pem: string) => certificateInfo(parsePemCertificates(pem)[0]!);
    const ctx = (served: string): CheckContext => ({ ...ctxFor('shop.example.com'), probes: { dns: [], tcp: [], http: [{ url: 'https://shop.example.com/', address: '203.0.113.10', status: 200, certificate: info(served) }] } });
    expect(tlsChecks(ctx(cert.certPem), [tls(secret('shop-tls', cert.certPem))]).find((c) => c.id === 'ing.tls-served-mismatch')?.status).toBe('ok');
    const mismatch = tlsChecks(ctx(fake.certPem), [tls(secret('shop-tls', cert.certPem))]).find((c) => c.id === 'ing.tls-served-mismatch');
    expect(mismatch).toMatchObject({ status: 'fail', message: expect.stringMatching(/fake default certificate/) });
  });
});
