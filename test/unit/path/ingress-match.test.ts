import { describe, expect, it } from 'vitest';
import { hostEntries, ingressHostMatches, matchIngress, matchPath, prefixMatches } from '../../../src/path/ingress-match.ts';
import { HAVE_SHARED, ingress, loadFixture, rule } from './fixtures.ts';

describe('Ingress host matching', () => {
  it('matches exact hosts case-insensitively', () => {
    expect(ingressHostMatches('foo.bar.com', 'foo.bar.com')).toBe('exact');
    expect(ingressHostMatches('foo.bar.com', 'FOO.bar.com.')).toBe('exact');
    expect(ingressHostMatches('foo.bar.com', 'bar.com')).toBeUndefined();
  });
  it('matches a wildcard against exactly one label', () => {
    expect(ingressHostMatches('*.foo.com', 'bar.foo.com')).toBe('wildcard');
    expect(ingressHostMatches('*.foo.com', 'baz.bar.foo.com')).toBeUndefined();
    expect(ingressHostMatches('*.foo.com', 'foo.com')).toBeUndefined();
    expect(ingressHostMatches('*.foo.com', 'xfoo.com')).toBeUndefined();
  });
  it('treats a rule without host as matching every host', () => {
    expect(ingressHostMatches(undefined, 'any.example')).toBe('any');
    expect(ingressHostMatches('', 'any.example')).toBe('any');
  });
  it('prefers exact, then wildcard, then host-less rules', () => {
    const ings = [
      ingress('catch-all', 'a', { rules: [rule(undefined, [['/', 'Prefix', 'default', 80]])] }),
      ingress('wild', 'a', { rules: [rule('*.example.com', [['/', 'Prefix', 'wild', 80]])] }),
      ingress('exact', 'a', { rules: [rule('shop.example.com', [['/', 'Prefix', 'shop', 80]])] }),
    ];
    expect(hostEntries(ings, 'shop.example.com').kind).toBe('exact');
    expect(hostEntries(ings, 'blog.example.com').kind).toBe('wildcard');
    expect(hostEntries(ings, 'other.test').kind).toBe('any');
    // An exact server without the path does not fall back to a wildcard or host-less server.
    expect(matchIngress(ings, 'shop.example.com', '/x').entry?.backend.service.name).toBe('shop');
  });
});

describe('Ingress path precedence', () => {
  it('matches Prefix element by element', () => {
    expect(prefixMatches('/foo', '/foo')).toBe(true);
    expect(prefixMatches('/foo', '/foo/')).toBe(true);
    expect(prefixMatches('/foo', '/foo/bar')).toBe(true);
    expect(prefixMatches('/foo', '/foobar')).toBe(false);
    expect(prefixMatches('/foo/', '/foo')).toBe(true);
    expect(prefixMatches('/', '/anything')).toBe(true);
    expect(prefixMatches('/aaa/bbb', '/aaa/bbbxyz')).toBe(false);
  });

  const ing = ingress('paths', 'ns', {
    rules: [
      rule('h.example', [
        ['/', 'Prefix', 'root', 80],
        ['/foo', 'Prefix', 'foo', 80],
        ['/foo/bar', 'Prefix', 'foobar', 80],
        ['/foo', 'Exact', 'foo-exact', 80],
        ['/img', 'ImplementationSpecific', 'img', 80],
      ]),
    ],
  });
  const cases: [string, string][] = [
    ['/foo', 'foo-exact'],
    ['/foo/', 'foo'],
    ['/foo/baz', 'foo'],
    ['/foo/bar/baz', 'foobar'],
    ['/foobar', 'root'],
    ['/img/x.png', 'img'],
    ['/', 'root'],
  ];
  for (const [path, want] of cases) it(`${path} → ${want}`, () => expect(matchIngress([ing], 'h.example', path).entry?.backend.service.name).toBe(want));

  it('prefers Prefix over ImplementationSpecific of the same length', () => {
    const { entry } = matchPath(
      [
        { ingress: ing, ruleIndex: 0, pathIndex: 0, path: '/a', pathType: 'ImplementationSpecific', backend: 'impl' },
        { ingress: ing, ruleIndex: 0, pathIndex: 1, path: '/a', pathType: 'Prefix', backend: 'prefix' },
      ],
      '/a/b',
    );
    expect(entry?.backend).toBe('prefix');
  });
});

describe('several Ingresses for one host', () => {
  it('merges their rules as ingress-nginx does; the oldest wins a duplicate path', () => {
    const older = ingress('team-a', 'a', { rules: [rule('shop.example', [['/api', 'Prefix', 'api-a', 80]])] });
    const newer = ingress('team-b', 'b', { rules: [rule('shop.example', [['/api', 'Prefix', 'api-b', 80], ['/web', 'Prefix', 'web-b', 80]])] });
    const m = matchIngress([newer, older], 'shop.example', '/api/v1');
    expect(m.entry?.ingress.metadata.name).toBe('team-a');
    expect(m.shadowed.map((s) => s.ingress.metadata.name)).toEqual(['team-b']);
    expect(m.ingresses.map((i) => i.metadata.name)).toEqual(['team-a', 'team-b']);
    expect(matchIngress([newer, older], 'shop.example', '/web').entry?.backend.service.name).toBe('web-b');
  });

  it('falls back to a defaultBackend, else no match', () => {
    const withDefault = ingress('d', 'a', { defaultBackend: { service: { name: 'fallback', port: { number: 80 } } }, rules: [rule('h.example', [['/x', 'Exact', 'x', 80]])] });
    const m = matchIngress([withDefault], 'h.example', '/y');
    expect(m.viaDefaultBackend).toBe(true);
    expect(m.entry?.backend.service.name).toBe('fallback');
    const none = matchIngress([ingress('n', 'a', { rules: [rule('h.example', [['/x', 'Exact', 'x', 80]])] })], 'h.example', '/y');
    expect(none.entry).toBeUndefined();
    expect(none.hostMatch).toBe('exact');
    expect(none.candidates).toHaveLength(1);
    expect(matchIngress([withDefault], 'other.example', '/').hostMatch).toBeUndefined();
  });
});

describe.skipIf(!HAVE_SHARED)('real manifests from ../shared/fixtures', () => {
  it('routes the AWS LBC 2048 game Ingress (host-less Prefix /)', () => {
    const ings = loadFixture('manifests/aws-lbc/lbc-2048_full.yaml').filter((o) => o.kind === 'Ingress');
    expect(ings.length).toBeGreaterThan(0);
    const m = matchIngress(ings, 'k8s-game2048.elb.amazonaws.com', '/index.html');
    expect(m.hostMatch).toBe('any');
    expect(m.entry?.backend.service.name).toBe('service-2048');
  });

  it('merges the EKS workshop IngressGroup Ingresses (catalog at /catalog, ui at /) by path', () => {
    const ings = [
      ...loadFixture('manifests/aws-lbc/eksworkshop-ingress-catalog-group.yaml'),
      ...loadFixture('manifests/aws-lbc/eksworkshop-ui-ingress-healthcheck.yaml'),
    ].filter((o) => o.kind === 'Ingress');
    expect(ings).toHaveLength(2);
    expect(matchIngress(ings, 'k8s-retailappgroup.elb.amazonaws.com', '/catalog/products').entry?.backend.service.name).toBe('catalog');
    expect(matchIngress(ings, 'k8s-retailappgroup.elb.amazonaws.com', '/catalogue').entry?.backend.service.name).toBe('ui');
    expect(matchIngress(ings, 'k8s-retailappgroup.elb.amazonaws.com', '/').entry?.backend.service.name).toBe('ui');
  });
});
