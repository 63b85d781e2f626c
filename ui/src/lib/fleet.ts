// The security review as the window holds it: the backend sends only the containers' reviews
// the window does not hold yet (by fingerprint), with the order of all of them.
import type { ContainerReview, FleetReview } from './api';

/** The review as the views show it: the engine's, the images', and every container's, most at risk first. */
export type Review = Omit<FleetReview, 'order' | 'changed'> & { containers: ContainerReview[] };

/** Rebuilds the review from an answer and the reviews held before it (by fingerprint): what
 * did not change keeps its object. Answers the review and what is now held. */
export function mergeReview(fleet: FleetReview, held: Map<string, ContainerReview>): { review: Review; held: Map<string, ContainerReview> } {
  const changed = new Map(fleet.changed.map((r) => [r.id, r]));
  const next = new Map<string, ContainerReview>();
  const containers: ContainerReview[] = [];
  for (const { id, fingerprint } of fleet.order) {
    const r = held.get(fingerprint) ?? changed.get(id);
    if (!r) continue;
    next.set(fingerprint, r);
    containers.push(r);
  }
  const { generatedAt, engine, images, summary } = fleet;
  return { review: { generatedAt, engine, images, summary, containers }, held: next };
}
