import { Deadlines } from '../../src/index';

describe('Deadlines', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('fires a deadline after its time, at the sweep resolution', () => {
    const d = new Deadlines(100);
    const fire = jest.fn();
    d.add(100, fire);
    jest.advanceTimersByTime(75);
    expect(fire).not.toHaveBeenCalled();
    jest.advanceTimersByTime(50);
    expect(fire).toHaveBeenCalledTimes(1);
    expect(d.size).toBe(0);
  });
  it('a cancelled deadline does not fire', () => {
    const d = new Deadlines(100);
    const fire = jest.fn();
    d.add(100, fire)();
    jest.advanceTimersByTime(200);
    expect(fire).not.toHaveBeenCalled();
  });
  it('race resolves with the value, or timeout', async () => {
    const d = new Deadlines(100);
    await expect(d.race(Promise.resolve(1), 100)).resolves.toBe(1);
    const slow = d.race(new Promise(() => {}), 100);
    jest.advanceTimersByTime(150);
    await expect(slow).resolves.toBe('timeout');
    await expect(d.race(Promise.reject(new Error('x')), 100)).rejects.toThrow('x');
  });
  it('refuses a non-positive resolution', () => {
    expect(() => new Deadlines(0)).toThrow(RangeError);
  });
});
