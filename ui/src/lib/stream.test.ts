import { describe, expect, it, vi } from 'vitest';

const streamStop = vi.fn().mockResolvedValue(true);
vi.mock('./api', async (importOriginal) => {
  const real = await importOriginal<typeof import('./api')>();
  return { ...real, api: { streamStop } };
});
const { StreamSlot } = await import('./stream');

describe('StreamSlot', () => {
  it('stops the old stream when a new one starts, and ignores the old one’s events', async () => {
    const slot = new StreamSlot();
    let firstCurrent: () => boolean = () => true;
    await slot.start(async (current) => {
      firstCurrent = current;
      return 1;
    });
    expect(firstCurrent()).toBe(true);
    await slot.start(async () => 2);
    expect(streamStop).toHaveBeenCalledWith(1);
    expect(firstCurrent()).toBe(false);
    await slot.stop();
    expect(streamStop).toHaveBeenLastCalledWith(2);
  });

  it('a stream that opens after it was replaced is stopped at once', async () => {
    streamStop.mockClear();
    const slot = new StreamSlot();
    let release: (id: number) => void = () => {};
    const slow = slot.start(() => new Promise<number>((r) => (release = r)));
    await slot.stop();
    release(7);
    await slow;
    expect(streamStop).toHaveBeenCalledWith(7);
  });
});
