import { describe, expect, it } from 'vitest';
import { mapToSelectorString, matchesMap, matchesSelector, matchesSelectorString, parseSelectorString, selectorToString } from '../../../src/kube/selectors.ts';

describe('label selectors', () => {
  const labels = { app: 'web', tier: 'front', env: 'prod' };
  it('matches metav1.LabelSelector', () => {
    expect(matchesSelector({}, labels)).toBe(true);
    expect(matchesSelector(null, labels)).toBe(false);
    expect(matchesSelector({ matchLabels: { app: 'web' } }, labels)).toBe(true);
    expect(matchesSelector({ matchLabels: { app: 'api' } }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'stage'] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'env', operator: 'NotIn', values: ['prod'] }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'missing', operator: 'NotIn', values: ['x'] }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, labels)).toBe(true);
    expect(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'DoesNotExist' }] }, labels)).toBe(false);
    expect(matchesSelector({ matchExpressions: [{ key: 'tier', operator: 'Bogus' }] }, labels)).toBe(false);
  });
  it('treats an empty Service selector as selecting nothing', () => {
    expect(matchesMap({}, labels)).toBe(false);
    expect(matchesMap({ app: 'web', env: 'prod' }, labels)).toBe(true);
  });
  it('renders and parses the query form', () => {
    expect(mapToSelectorString({ b: '2', a: '1' })).toBe('a=1,b=2');
    const s = selectorToString({ matchLabels: { app: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['a', 'b'] }, { key: 'x', operator: 'DoesNotExist' }] });
    expect(s).toBe('app=web,env in (a,b),!x');
    expect(parseSelectorString('a=1,b==2,c!=3,d in (x, y),e notin (z),f,!g')).toEqual([
      { key: 'a', operator: 'In', values: ['1'] },
      { key: 'b', operator: 'In', values: ['2'] },
      { key: 'c', operator: 'NotIn', values: ['3'] },
      { key: 'd', operator: 'In', values: ['x', 'y'] },
      { key: 'e', operator: 'NotIn', values: ['z'] },
      { key: 'f', operator: 'Exists' },
      { key: 'g', operator: 'DoesNotExist' },
    ]);
    expect(matchesSelectorString('app=web,!missing', labels)).toBe(true);
    expect(() => parseSelectorString('a b c')).toThrow(/unable to parse/);
  });
});
