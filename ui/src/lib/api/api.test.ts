import { describe, expect, it } from 'vitest';
import { AppError, toAppError } from './index';

describe('toAppError', () => {
  it('keeps the kind and message of a backend error', () => {
    const e = toAppError({ kind: 'invalidArgument', message: 'bad id' });
    expect(e).toBeInstanceOf(AppError);
    expect(e.kind).toBe('invalidArgument');
    expect(e.message).toBe('bad id');
  });
  it('turns anything else into an internal error', () => {
    expect(toAppError('boom').kind).toBe('internal');
    expect(toAppError(new Error('x')).message).toBe('x');
    expect(toAppError({ kind: 3 }).kind).toBe('internal');
  });
});
