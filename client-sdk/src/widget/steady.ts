/**
 * Runs DOM changes inside `root` without moving what the reader is looking at: the first
 * entry (<article>) in the viewport stays at the same screen position (browsers without
 * scroll anchoring, or with it disabled, would otherwise jump when something above it
 * changes height). `find` gives an entry's element by its element id, after the change.
 */
export function steadier(win: Window, root: HTMLElement, find: (id: string) => HTMLElement | undefined): (change: () => void) => void {
  return (change) => {
    let id = '';
    let top = 0;
    if (win.scrollY > 0) {
      const first = Array.from(root.getElementsByTagName('article')).find((a) => {
        const r = a.getBoundingClientRect();
        return r.bottom > 0 && r.top < win.innerHeight && r.height > 0;
      });
      if (first) {
        id = first.id;
        top = first.getBoundingClientRect().top;
      }
    }
    change();
    const el = id ? find(id) : undefined;
    if (el?.isConnected) {
      const moved = el.getBoundingClientRect().top - top;
      if (moved) win.scrollBy(0, moved);
    }
  };
}
