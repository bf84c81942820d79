// Certificates for the lab: its CA, the API server's serving certificate, and TLS secrets the lab issuer fills.
import 'reflect-metadata'; // @peculiar/x509 resolves its ASN.1 providers through tsyringe, which needs it
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

x509.cryptoProvider.set(webcrypto as unknown as Crypto);

const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface KeyPairPem {
  certPem: string;
  keyPem: string;
}

export interface CertificateAuthority extends KeyPairPem {
  cert: x509.X509Certificate;
  keys: webcrypto.CryptoKeyPair;
}

export interface IssueOptions {
  commonName: string;
  dnsNames?: string[];
  ipAddresses?: string[];
  notBefore?: Date;
  notAfter?: Date;
  organization?: string;
  /** Self-signed when no issuer is given. */
  issuer?: CertificateAuthority;
  isCA?: boolean;
}

function serial(): string {
  const b = webcrypto.getRandomValues(new Uint8Array(16));
  b[0] = b[0]! & 0x7f; // positive
  return Buffer.from(b).toString('hex');
}

async function keyPem(key: webcrypto.CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey("pkcs8", key);
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN PRIVATE KEY-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END PRIVATE KEY-----\n`;
}

function dn(cn: string, o?: string): string {
  const esc = (v: string) => v.replace(/([,+"\\<>;=])/g, '\\$1');
  return o ? `CN=${esc(cn)}, O=${esc(o)}` : `CN=${esc(cn)}`;
}

export async function issue(opts: IssueOptions): Promise<CertificateAuthority> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as unknown as webcrypto.CryptoKeyPair;
  const notBefore = opts.notBefore ?? new Date(Date.now() - 60_000);
  const notAfter = opts.notAfter ?? new Date(Date.now() + 365 * 86400_000);
  const names: x509.JsonGeneralName[] = [
    ...(opts.dnsNames ?? []).map((v) => ({ type: 'dns' as const, value: v })),
    ...(opts.ipAddresses ?? []).map((v) => ({ type: 'ip' as const, value: v })),
  ];
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(!!opts.isCA, undefined, true),
    new x509.KeyUsagesExtension(
      opts.isCA
        ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature
        : x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
      true,
    ),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
  ];
  if (!opts.isCA) extensions.push(new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]));
  if (names.length) extensions.push(new x509.SubjectAlternativeNameExtension(names));
  if (opts.issuer) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(opts.issuer.cert));
  const subject = dn(opts.commonName, opts.organization);
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject,
    issuer: opts.issuer ? opts.issuer.cert.subject : subject,
    notBefore,
    notAfter,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: opts.issuer ? opts.issuer.keys.privateKey : keys.privateKey,
    extensions,
  });
  return { cert, keys, certPem: cert.toString('pem') + '\n', keyPem: await keyPem(keys.privateKey) };
}

export function createCA(commonName = 'netpath-lab-ca'): Promise<CertificateAuthority> {
  return issue({
    commonName,
    organization: 'kubectl-netpath lab',
    isCA: true,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 10 * 365 * 86400_000),
  });
}

/** Parses a duration relative to now: `-30d`, `90d`, `12h`, `30m`. */
export function relativeDate(spec: string, base = Date.now()): Date {
  const m = /^(-?\d+)([dhm])$/.exec(spec.trim());
  if (!m) throw new Error(`bad duration "${spec}" (expected e.g. 90d, -3d, 12h)`);
  const unit = m[2] === 'd' ? 86400_000 : m[2] === 'h' ? 3600_000 : 60_000;
  return new Date(base + Number(m[1]) * unit);
}
