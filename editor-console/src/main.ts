/**
 * The editor console at /editor: the shell (header with the connection state and "Sign out")
 * and the three screens, chosen by the address's hash: sign-in (no token in this tab),
 * `#/feeds` (the index) and `#/feeds/ID` (one feed). The API is the server this page came
 * from, at the page's base path (so a console behind a path prefix works as is).
 */
import { createApi } from './api';
import { h } from './dom';
import { createFeedView, type FeedView } from './feed-view';
import { createFeedsView, feedHref } from './feeds-view';
import { CONNECTION_TEXT, createLiveClient } from './live';
import { session } from './session';
import { createSignInView } from './sign-in-view';

const base = new URL('.', location.href).href;
/** An element of the page's skeleton (index.html). */
function part<T extends HTMLElement>(id: string, type: new () => T): T {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new TypeError(`editor console: index.html has no <${type.name}> #${id}`);
  return el;
}
const main = part('main', HTMLElement);
const signOut = part('sign-out', HTMLButtonElement);
const connection = part('connection', HTMLElement);

let notice: string | null = null;
const api = createApi(base, () => session.token(), () => {
  // The token was revoked or changed on the server: this tab's session is over.
  session.signOut();
  notice = 'Your editor token is no longer accepted. Sign in again.';
  render();
});
const client = createLiveClient(base);
client.on('state', (state) => {
  connection.textContent = CONNECTION_TEXT[state];
  connection.dataset.state = state;
});
let feedView: FeedView | null = null;

function route(): { readonly screen: 'feeds' } | { readonly screen: 'feed'; readonly id: string } {
  const m = /^#\/feeds\/([^/]+)$/.exec(location.hash);
  if (m === null) return { screen: 'feeds' };
  try {
    return { screen: 'feed', id: decodeURIComponent(m[1] ?? '') };
  } catch {
    return { screen: 'feeds' }; // a malformed address: the index
  }
}

function show(screen: HTMLElement, title: string): void {
  main.replaceChildren(screen);
  document.title = title;
  // Screen readers and keyboard users start at the new screen's heading.
  const heading = screen.querySelector<HTMLElement>('h1');
  if (heading !== null) {
    heading.tabIndex = -1;
    heading.focus({ preventScroll: true });
  }
}

function render(): void {
  feedView?.destroy(); // first: the next screen may open the same feed again
  feedView = null;
  const token = session.token();
  signOut.hidden = token === null;
  if (token === null) {
    client.disconnect();
    connection.hidden = true;
    show(createSignInView(base, () => {
      notice = null;
      render();
    }, notice), 'Sign in · Liveline editor');
    return;
  }
  const r = route();
  if (r.screen === 'feeds') {
    client.disconnect(); // no feed open: no reason to hold a connection
    connection.hidden = true;
    show(createFeedsView(api, (id) => {
      location.hash = feedHref(id);
    }), 'Feeds · Liveline editor');
    return;
  }
  const view = createFeedView(api, client, r.id);
  show(view.element, 'Feed · Liveline editor');
  feedView = view;
  connection.hidden = false;
}

signOut.addEventListener('click', () => {
  session.signOut();
  notice = 'Signed out. The token is no longer kept in this tab.';
  if (location.hash !== '') history.replaceState(null, '', location.pathname + location.search);
  render();
});
window.addEventListener('hashchange', render);
main.replaceChildren(h('p', { class: 'hint' }, 'Loading…'));
render();
