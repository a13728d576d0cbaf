/** Pending announcements are gathered for this long, then spoken as one ("3 new updates"). */
const ANNOUNCE_MS = 1000;

/**
 * A polite screen-reader announcer on `el` (aria-live="polite"): counts are gathered for a
 * second and spoken as one message, `say(n)`. Returns the function to count new entries and
 * one to stop.
 */
export function announcer(el: HTMLElement, say: (count: number) => string): { announce(count: number): void; stop(): void } {
  let pending = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let flip = false;
  return {
    announce(count) {
      pending += count;
      timer ??= setTimeout(() => {
        timer = undefined;
        // A trailing no-break space on every other message makes a repeated message count as a change.
        flip = !flip;
        el.textContent = say(pending) + (flip ? '\u00a0' : '');
        pending = 0;
      }, ANNOUNCE_MS);
    },
    stop: () => clearTimeout(timer),
  };
}
