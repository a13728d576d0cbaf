/**
 * One read, many readers: concurrent callers asking for the same key share one promise,
 * so a crowd loading the same snapshot at the same moment costs the store one read.
 * Nothing is cached past the read itself.
 */
export class SharedReads<T> {
  private readonly inFlight = new Map<string, Promise<T>>();

  read(key: string, load: () => Promise<T>): Promise<T> {
    let pending = this.inFlight.get(key);
    if (pending === undefined) {
      pending = load().finally(() => this.inFlight.delete(key));
      this.inFlight.set(key, pending);
    }
    return pending;
  }
}
