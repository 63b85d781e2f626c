import { describe, expect, it } from 'vitest';
import { applyProgress, emptyProgress, overall } from './progress';

describe('progress', () => {
  it('folds layer events into rows and an overall fraction', () => {
    let p = emptyProgress();
    p = applyProgress(p, { event: 'status', data: 'v1: Pulling from x' });
    p = applyProgress(p, { event: 'layer', data: { id: 'aaaaaaaaaaaa', status: 'Downloading', current: 50, total: 100 } });
    p = applyProgress(p, { event: 'layer', data: { id: 'bbbbbbbbbbbb', status: 'Pull complete', current: null, total: null } });
    expect(p.layers).toHaveLength(2);
    expect(overall(p)).toBeCloseTo((0.5 * 0.95 + 1) / 2);
    p = applyProgress(p, { event: 'layer', data: { id: 'aaaaaaaaaaaa', status: 'Extracting', current: null, total: null } });
    expect(p.layers[0].current).toBe(50);
    p = applyProgress(p, { event: 'done', data: { reference: 'x:v1' } });
    expect(overall(p)).toBe(1);
    expect(p.lines).toEqual(['v1: Pulling from x']);
  });
});
