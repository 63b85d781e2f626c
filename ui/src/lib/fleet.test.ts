import { describe, expect, it } from 'vitest';
import { mergeReview } from './fleet';
import type { ContainerReview, FleetReview } from './api';

const review = (id: string, grade = 'B'): ContainerReview => ({ id, name: `n-${id}`, image: 'img', running: true, score: 80, grade, findings: [] });
const fleet = (order: [string, string][], changed: ContainerReview[]): FleetReview => ({
  generatedAt: '2026-12-03T00:00:00Z',
  engine: { facts: {} as FleetReview['engine']['facts'], findings: [] },
  images: [],
  summary: { containers: order.length, critical: 0, high: 0, medium: 0, low: 0, info: 0 },
  order: order.map(([id, fingerprint]) => ({ id, fingerprint })),
  changed,
});

describe('the review held by the window', () => {
  it('keeps what did not change, takes what did, drops what went, in the order given', () => {
    const a = review('a');
    const b = review('b');
    const first = mergeReview(fleet([['a', 'fa'], ['b', 'fb']], [a, b]), new Map());
    expect(first.review.containers).toEqual([a, b]);
    expect([...first.held.keys()]).toEqual(['fa', 'fb']);

    // b changed (a new fingerprint, sent), c appeared, a is unchanged (not sent), order moved.
    const b2 = review('b', 'F');
    const c = review('c');
    const second = mergeReview(fleet([['b', 'fb2'], ['c', 'fc'], ['a', 'fa']], [b2, c]), first.held);
    expect(second.review.containers.map((r) => [r.id, r.grade])).toEqual([['b', 'F'], ['c', 'B'], ['a', 'B']]);
    expect(second.review.containers[2]).toBe(a);
    expect([...second.held.keys()].sort()).toEqual(['fa', 'fb2', 'fc']);

    // a went: nothing of it is held any more.
    const third = mergeReview(fleet([['b', 'fb2'], ['c', 'fc']], []), second.held);
    expect(third.review.containers.map((r) => r.id)).toEqual(['b', 'c']);
    expect(third.held.has('fa')).toBe(false);
  });
});
