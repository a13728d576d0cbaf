/**
 * The composer's preview: the real drop-in widget (client-sdk/src/widget) showing the draft
 * exactly as readers' pages will, styled by the widget's own stylesheet (served as
 * /editor/widget.css: the console's policy allows no injected <style>). The widget is fed by
 * a LiveClient whose fetch and WebSocket go nowhere: a tiny in-page stand-in for the server
 * answers the snapshot and the subscription, and each change of the draft reaches the widget
 * as an `entry.updated` event, through the same code path as a correction on a reader's page.
 */
import { LiveClient } from '../../client-sdk/src/client';
import type { FetchLike } from '../../client-sdk/src/snapshot';
import type { WebSocketConstructor, WebSocketLike } from '../../client-sdk/src/protocol';
import { mount } from '../../client-sdk/src/widget/mount';
import { h } from './dom';
import type { Entry, Feed } from './parse';

const EPOCH = 'preview';
const OPEN = 1;
const CLOSED = 3;

export interface Preview {
  readonly element: HTMLElement;
  /** Shows `entry` (a draft) in place of the previous one; null shows nothing. */
  show(entry: Entry | null): void;
  destroy(): void;
}

/** The stand-in server: a log of events, and the one socket that listens to it. */
function standIn(feedId: string) {
  const frames: string[] = [];
  let current: Entry | null = null;
  let listener: ((data: string) => void) | null = null;

  const socketClass: WebSocketConstructor = class implements WebSocketLike {
    readyState = 0;
    onopen: ((event: never) => void) | null = null;
    onmessage: ((event: never) => void) | null = null;
    onclose: ((event: never) => void) | null = null;
    onerror: ((event: never) => void) | null = null;
    constructor() {
      setTimeout(() => {
        if (this.readyState !== 0) return;
        this.readyState = OPEN;
        this.onopen?.({} as never);
      });
    }
    send(data: string): void {
      const frame: unknown = JSON.parse(data);
      if (typeof frame !== 'object' || frame === null || !('type' in frame) || frame.type !== 'subscribe') return;
      const since = 'since' in frame && typeof frame.since === 'number' ? frame.since : frames.length;
      const deliver = (d: string): void => this.onmessage?.({ data: d } as never);
      deliver(JSON.stringify({ type: 'subscribed', feed: feedId, seq: frames.length, epoch: EPOCH }));
      frames.slice(since).forEach(deliver);
      listener = deliver;
    }
    close(): void {
      if (this.readyState === CLOSED) return;
      this.readyState = CLOSED;
      listener = null;
      this.onclose?.({ code: 1000, reason: '' } as never);
    }
  };

  return {
    socketClass,
    snapshot: (feed: Feed) => ({ feed, entries: current === null ? [] : [current], nextBefore: null, seq: frames.length, epoch: EPOCH }),
    push(event: 'entry.updated' | 'entry.deleted', data: object): void {
      const frame = JSON.stringify({ type: 'event', feed: feedId, seq: frames.length + 1, epoch: EPOCH, event, data });
      frames.push(frame);
      listener?.(frame);
    },
    set(entry: Entry | null): void {
      current = entry;
    },
    get seq(): number {
      return frames.length;
    },
  };
}

export function createPreview(feed: Feed): Preview {
  const host = h('div', { class: 'preview-widget' });
  const element = h('section', { class: 'preview', 'aria-labelledby': 'preview-title' },
    h('h3', { id: 'preview-title' }, 'Preview'),
    h('p', { class: 'hint' }, 'As readers will see it.'),
    host);
  const server = standIn(feed.id);
  const shown: Feed = { ...feed, summary: null };
  const fetchFn: FetchLike = async (url) => ({ ok: true, status: 200, url, json: async () => server.snapshot(shown) });
  const client = new LiveClient({ url: location.origin, fetch: fetchFn, WebSocket: server.socketClass });
  const widget = mount(host, { feed: feed.id, client, styles: false });
  /** A deleted id can never come back (the SDK remembers deletions): a draft shown after a blank one takes a new id. */
  let generation = 0;
  let shownId: string | null = null;

  return {
    element,
    show(entry) {
      if (entry === null) {
        if (shownId !== null) server.push('entry.deleted', { id: shownId });
        shownId = null;
        server.set(null);
        return;
      }
      if (shownId === null) generation++;
      // Revisions only go up, so the widget takes every version as newer than the last.
      const draft: Entry = { ...entry, id: `preview-${generation}`, revision: server.seq + 1 };
      shownId = draft.id;
      server.set(draft);
      server.push('entry.updated', draft);
    },
    destroy() {
      widget.destroy();
      client.disconnect();
    },
  };
}
