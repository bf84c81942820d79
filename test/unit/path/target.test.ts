import { describe, expect, it } from 'vitest';
import { TargetError, parseTarget, targetLabel } from '../../../src/path/target.ts';

describe('parseTarget', () => {
  it('reads object targets and their aliases', () => {
    expect(parseTarget('svc/web')).toMatchObject({ kind: 'service', name: 'web' });
    expect(parseTarget('service/web')).toMatchObject({ kind: 'service', name: 'web' });
    expect(parseTarget('services/web')).toMatchObject({ kind: 'service', name: 'web' });
    expect(parseTarget('ing/shop')).toMatchObject({ kind: 'ingress', name: 'shop' });
    expect(parseTarget('ingress/shop')).toMatchObject({ kind: 'ingress', name: 'shop' });
    expect(parseTarget('ingresses.networking.k8s.io/shop')).toMatchObject({ kind: 'ingress', name: 'shop' });
    expect(parseTarget('httproute/storefront')).toMatchObject({ kind: 'httproute', name: 'storefront' });
    expect(parseTarget('gateway/public')).toMatchObject({ kind: 'gateway', name: 'public' });
    expect(parseTarget('SVC/web')).toMatchObject({ kind: 'service' });
  });

  it('reads URLs', () => {
    expect(parseTarget('https://Shop.Example.com/api/v1?x=1')).toMatchObject({ kind: 'host', host: 'shop.example.com', path: '/api/v1', scheme: 'https', ip: false });
    expect(parseTarget('http://shop.example.com:8080')).toMatchObject({ host: 'shop.example.com', path: '/', scheme: 'http', port: 8080 });
    expect(parseTarget('https://127.0.10.10/')).toMatchObject({ host: '127.0.10.10', ip: true });
    expect(parseTarget('http://[::1]:8080/x')).toMatchObject({ host: '::1', ip: true, port: 8080, path: '/x' });
  });

  it('reads bare hosts with an optional port and path', () => {
    expect(parseTarget('shop.netpath.test')).toMatchObject({ kind: 'host', host: 'shop.netpath.test', path: '/' });
    expect(parseTarget('shop.netpath.test.')).toMatchObject({ host: 'shop.netpath.test' });
    expect(parseTarget('shop.netpath.test/api')).toMatchObject({ host: 'shop.netpath.test', path: '/api' });
    expect(parseTarget('shop.netpath.test:443')).toMatchObject({ host: 'shop.netpath.test', port: 443, scheme: 'https' });
    expect(parseTarget('10.0.0.1')).toMatchObject({ host: '10.0.0.1', ip: true });
    expect(parseTarget('localhost:8080')).toMatchObject({ host: 'localhost', port: 8080 });
  });

  const bad: [string, RegExp][] = [
    ['deploy/web', /unsupported target kind "deploy"/],
    ['deployment.apps/web', /unsupported target kind "deployment.apps"/],
    ['pod/web-123', /unsupported target kind "pod"/],
    ['foo/bar', /unsupported target kind "foo"/],
    ['web', /unknown target "web"/],
    ['svc/', /names no service/],
    ['svc/Web_1', /invalid service name/],
    ['svc/a/b', /invalid service name/],
    ['ftp://host.example/x', /unsupported URL scheme "ftp"/],
    ['https://', /invalid URL/],
    ['bad_host!.example', /invalid hostname/],
    ['', /empty target/],
  ];
  for (const [t, re] of bad)
    it(`rejects ${JSON.stringify(t)}`, () => {
      expect(() => parseTarget(t)).toThrow(TargetError);
      expect(() => parseTarget(t)).toThrow(re);
    });

  it('labels targets back', () => {
    expect(targetLabel(parseTarget('service/web'))).toBe('svc/web');
    expect(targetLabel(parseTarget('https://a.example/x'))).toBe('https://a.example/x');
    expect(targetLabel(parseTarget('a.example'))).toBe('a.example');
  });
});
