/** A map from event name to the arguments its listeners receive. */
export type EventMap<E> = { [K in keyof E]: unknown[] };

/**
 * A tiny typed event emitter. Listeners run synchronously in registration order. A listener
 * that throws does not stop the others nor the SDK: its exception is rethrown from a fresh
 * task (`setTimeout`), so it reaches window.onerror / the console / uncaughtException like
 * any other bug in page code, instead of being swallowed.
 */
export class Emitter<E extends EventMap<E>> {
  private readonly listeners: { [K in keyof E]?: Array<(...args: E[K]) => void> } = {};

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    (this.listeners[event] ??= []).push(listener);
    return () => this.off(event, listener);
  }

  /** Removes a listener added with `on` (one registration of it). */
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void {
    const list = this.listeners[event];
    const i = list ? list.indexOf(listener) : -1;
    if (list && i >= 0) list.splice(i, 1);
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const list = this.listeners[event];
    if (!list) return;
    for (const listener of list.slice()) {
      // A listener removed by an earlier one during this emit is not called (as in the DOM).
      if (!list.includes(listener)) continue;
      try {
        listener(...args);
      } catch (error) {
        setTimeout(() => {
          throw error;
        });
      }
    }
  }
}
