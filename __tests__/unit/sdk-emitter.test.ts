import { Emitter } from '../../client-sdk/src/emitter';

class Pinger extends Emitter<{ ping: [n: number, label: string]; other: [] }> {
  fire(n: number): void {
    this.emit('ping', n, `#${n}`);
  }
}

describe('Emitter', () => {
  afterEach(() => jest.useRealTimers());

  it('calls listeners in order with the arguments; on() returns an unsubscribe function', () => {
    const e = new Pinger();
    const calls: string[] = [];
    const stop = e.on('ping', (n, label) => calls.push(`a${n}${label}`));
    const b = (n: number): void => void calls.push(`b${n}`);
    e.on('ping', b);
    e.fire(1);
    stop();
    e.fire(2);
    e.off('ping', b);
    e.fire(3);
    expect(calls).toEqual(['a1#1', 'b1', 'b2']);
  });

  it('does not call a listener removed by an earlier one during the same emit', () => {
    const e = new Pinger();
    const calls: string[] = [];
    const b = (): void => void calls.push('b');
    e.on('ping', () => {
      calls.push('a');
      e.off('ping', b);
    });
    e.on('ping', b);
    e.fire(1);
    expect(calls).toEqual(['a']);
  });

  it('a throwing listener does not stop the others; its error is rethrown asynchronously', async () => {
    jest.useFakeTimers();
    const e = new Pinger();
    const calls: number[] = [];
    e.on('ping', () => {
      throw new Error('page bug');
    });
    e.on('ping', (n) => calls.push(n));
    expect(() => e.fire(7)).not.toThrow();
    expect(calls).toEqual([7]);
    await expect(jest.advanceTimersByTimeAsync(0)).rejects.toThrow('page bug');
  });
});
