import { describe, expect, it, vi, beforeEach } from 'vitest';
import { render, waitFor } from '@testing-library/svelte';
import type { EngineEvent, EventsEvent, EventQuery } from '../api';

const eventsWatch = vi.fn();
const streamStop = vi.fn();
vi.mock('../api', async (importOriginal) => {
  const real = await importOriginal<typeof import('../api')>();
  return { ...real, api: { eventsWatch, streamStop } };
});
const { AppError } = await import('../api');
const { default: EventTimeline } = await import('./EventTimeline.svelte');

const ev = (n: number, action = 'start'): EngineEvent => ({
  timeNano: 1_700_000_000_000_000_000 + n * 1_000_000_000, kind: 'container', action, id: `c${n}`, name: `web${n}`, attributes: [], notable: null,
});

beforeEach(() => {
  eventsWatch.mockReset();
  streamStop.mockReset();
  streamStop.mockResolvedValue(true);
});

describe('the events timeline', () => {
  it('resumes by itself from the last event after the engine went away, without repeating it', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    const calls: { query: EventQuery; send: (e: EventsEvent) => void }[] = [];
    eventsWatch.mockImplementation(async (query: EventQuery, send: (e: EventsEvent) => void) => {
      calls.push({ query, send });
      // The second try finds the engine still away; the third gets it back.
      if (calls.length === 2) throw new AppError('engineNotRunning', 'Cannot connect: the engine is restarting.');
      return calls.length;
    });
    const view = render(EventTimeline, {});
    await waitFor(() => expect(calls).toHaveLength(1));
    calls[0].send({ event: 'events', data: [ev(1), ev(2)] });
    await waitFor(() => expect(view.getAllByTestId('event-row')).toHaveLength(2));
    calls[0].send({ event: 'failed', data: { kind: 'engineNotRunning', message: 'Lost the connection.' } });
    await waitFor(() => expect(view.getByTestId('events-reconnecting')).toBeTruthy());
    await vi.advanceTimersByTimeAsync(2100);
    await waitFor(() => expect(calls).toHaveLength(2));
    await vi.advanceTimersByTimeAsync(2100);
    await waitFor(() => expect(calls).toHaveLength(3));
    // From the last event's time; the engine repeats that event, which is not shown twice.
    expect(calls[2].query.since).toBeCloseTo(ev(2).timeNano / 1e9, 3);
    calls[2].send({ event: 'events', data: [ev(2), ev(3, 'die')] });
    await waitFor(() => expect(view.getAllByTestId('event-row')).toHaveLength(3));
    expect(view.queryByTestId('events-reconnecting')).toBeNull();
    expect(view.getAllByTestId('event-row').map((r) => r.dataset.name)).toEqual(['web3', 'web2', 'web1']);
    vi.useRealTimers();
  });

  it('keeps receiving while paused and shows what came on Resume', async () => {
    let send: (e: EventsEvent) => void = () => {};
    eventsWatch.mockImplementation(async (_q: EventQuery, s: (e: EventsEvent) => void) => {
      send = s;
      return 1;
    });
    const view = render(EventTimeline, {});
    await waitFor(() => expect(eventsWatch).toHaveBeenCalled());
    send({ event: 'events', data: [ev(1)] });
    await waitFor(() => expect(view.getAllByTestId('event-row')).toHaveLength(1));
    view.getByTestId('events-pause').click();
    send({ event: 'events', data: [ev(2), ev(3)] });
    await waitFor(() => expect(view.getByTestId('events-pause').textContent).toContain('2 new'));
    expect(view.getAllByTestId('event-row')).toHaveLength(1);
    view.getByTestId('events-pause').click();
    await waitFor(() => expect(view.getAllByTestId('event-row')).toHaveLength(3));
  });
});
