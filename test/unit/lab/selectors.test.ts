import { describe, expect, it } from 'vitest';
import {
  fromLabelSelectorObject, matchesFields, matchesLabels, parseFieldSelector, parseLabelSelector,
} from '../../../src/lab/store/selectors.ts';
import type { KObject } from '../../../src/lab/types.ts';

const m = (sel: string, labels: Record<string, string>) => matchesLabels(parseLabelSelector(sel), labels);

describe('label selectors', () => {
  it('supports every operator of the apiserver grammar', () => {
    const l = { app: 'web', tier: 'fe', env: 'prod' };
    expect(m('app=web', l)).toBe(true);
    expect(m('app==web', l)).toBe(true);
    expect(m('app!=web', l)).toBe(false);
    expect(m('app!=db', l)).toBe(true);
    expect(m('missing!=x', l)).toBe(true);
    expect(m('env in (prod, staging)', l)).toBe(true);
    expect(m('env notin (prod)', l)).toBe(false);
    expect(m('missing notin (a)', l)).toBe(true);
    expect(m('tier', l)).toBe(true);
    expect(m('!tier', l)).toBe(false);
    expect(m('!missing', l)).toBe(true);
    expect(m('app=web,env in (prod),!missing', l)).toBe(true);
    expect(m('', l)).toBe(true);
    expect(m('app.kubernetes.io/name=web', { 'app.kubernetes.io/name': 'web' })).toBe(true);
  });

  it('rejects malformed selectors with a 400 worded like the apiserver', () => {
    expect(() => parseLabelSelector('app=we b')).toThrow(/unable to parse requirement/);
    expect(() => parseLabelSelector('a=b,,c')).toThrow(/unable to parse requirement/);
    try {
      parseLabelSelector('-bad=x');
    } catch (e) {
      expect((e as { code: number }).code).toBe(400);
    }
  });

  it('converts metav1.LabelSelector objects', () => {
    const sel = fromLabelSelectorObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['fe', 'be'] },
        { key: 'canary', operator: 'DoesNotExist' },
      ],
    });
    expect(matchesLabels(sel, { app: 'web', tier: 'be' })).toBe(true);
    expect(matchesLabels(sel, { app: 'web', tier: 'be', canary: 'y' })).toBe(false);
    expect(matchesLabels(fromLabelSelectorObject({}), { any: 'thing' })).toBe(true);
  });
});

describe('field selectors', () => {
  const pod: KObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'ns' }, spec: { nodeName: 'n1' }, status: { phase: 'Running' } };

  it('matches the fields kubectl and client-go use', () => {
    expect(matchesFields(parseFieldSelector('metadata.name=p', 'Pod', 'v1'), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('status.phase!=Running', 'Pod', 'v1'), pod)).toBe(false);
    expect(matchesFields(parseFieldSelector('spec.nodeName=n1,metadata.namespace==ns', 'Pod', 'v1'), pod)).toBe(true);
    expect(matchesFields(parseFieldSelector('spec.nodeName=', 'Pod', 'v1'), pod)).toBe(false);
  });

  it('refuses fields the kind does not support', () => {
    expect(() => parseFieldSelector('spec.nodeName=n1', 'Service', 'v1')).toThrow(/is not a known field selector/);
    expect(() => parseFieldSelector('garbage', 'Pod', 'v1')).toThrow(/invalid selector/);
  });
});
