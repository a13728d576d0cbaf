/**
 * Saving a form that edits fields of the feed itself (coverage, summary) with `If-Match` of
 * the feed revision it was loaded at. On a 412: if the other editor changed other fields of
 * the feed, this form's change is sent again on their revision at once (nothing of theirs is
 * lost); if they changed the same fields, the conflict dialog asks. A form the editor is
 * working on is never overwritten by a live update.
 */
import { conflictOf, type Api, type FeedPatch } from './api';
import { conflictDialog, versionView, type Part } from './conflict-dialog';
import { button, errorSlot, h, statusLine, uid } from './dom';
import { FormErrors } from './form-errors';
import { refreshSoon, type LiveFeed } from './live';
import { parseFeed, type Feed } from './parse';

export interface FeedFormSpec<V> {
  /** "the summary", "the coverage": what the messages call it. */
  readonly what: string;
  readonly saveLabel: string;
  /** The form's controls (rows). */
  readonly rows: readonly HTMLElement[];
  /** Errors naming these fields go beside them. */
  readonly fields: ReadonlyArray<readonly [name: string, control: HTMLElement, message: HTMLElement]>;
  read(feed: Feed): V;
  value(): V;
  show(v: V): void;
  patch(v: V): FeedPatch;
  equal(a: V, b: V): boolean;
  parts(v: V): Part[];
}

export interface FeedFormDeps {
  readonly api: Api;
  readonly live: LiveFeed;
  readonly failed: (err: unknown) => void;
}

export interface FeedForm<V> {
  readonly element: HTMLElement;
  /** Extra buttons go here, next to the save button. */
  readonly actions: HTMLElement;
  /** Saves what the form holds, or `override.value` (e.g. a "Remove" button's null). */
  submit(override?: { readonly value: V }): Promise<void>;
  destroy(): void;
}

export function feedForm<V>(deps: FeedFormDeps, spec: FeedFormSpec<V>, headingId: string, heading: string): FeedForm<V> {
  const { state } = deps.live;
  const general = errorSlot(uid('feed-form-error'));
  const errors = new FormErrors(general);
  for (const [name, control, message] of spec.fields) errors.add(name, control, message);
  const status = statusLine();
  const saveButton = button(spec.saveLabel, { class: 'primary' });
  const actions = h('div', { class: 'actions' }, saveButton);
  const mine = h('div', { class: 'mine', hidden: true });
  const element = h('section', { class: 'panel', 'aria-labelledby': headingId }, h('h2', { id: headingId }, heading), ...spec.rows, actions, general, status, mine);
  let base: Feed | null = null;
  let dirty = false;

  const load = (): void => {
    const f = state.feed;
    if (f === null || dirty || (base !== null && (f.revision ?? 1) <= (base.revision ?? 1))) return;
    base = f;
    spec.show(spec.read(f));
  };
  const showMine = (v: V | null): void => {
    mine.hidden = v === null;
    mine.replaceChildren();
    if (v === null) return;
    const hide = button('Hide my version');
    hide.addEventListener('click', () => showMine(null));
    mine.append(versionView('Your version (not saved)', spec.parts(v), 'yours'), hide);
  };

  const save = async (v: V, revision: number): Promise<void> => {
    const { feed, seq } = await deps.api.patchFeed(state.feedId, spec.patch(v), revision);
    dirty = false;
    base = feed;
    state.putFeed(feed, seq);
    spec.show(spec.read(feed));
    showMine(null);
    refreshSoon(deps.live, deps.failed);
    status.textContent = `Saved ${spec.what}.`;
  };

  const resolve = async (v: V, theirs: Feed): Promise<void> => {
    const onlyOthers = base !== null && spec.equal(spec.read(theirs), spec.read(base));
    const choice = onlyOthers ? 'overwrite' : await conflictDialog(spec.what, theirs.revision ?? 1, spec.parts(spec.read(theirs)), spec.parts(v));
    if (choice === 'overwrite') return save(v, theirs.revision ?? 1);
    if (choice === 'merge') {
      base = theirs;
      dirty = true; // the editor is combining the two: no live update replaces the form meanwhile
      spec.show(spec.read(theirs));
      showMine(v);
      status.textContent = `Their version of ${spec.what} is in the form; yours is shown below. Combine them and save.`;
      return;
    }
    errors.say(null, `Not saved: someone else changed ${spec.what} first.`);
  };

  const submit = async (override?: { readonly value: V }): Promise<void> => {
    errors.clear();
    status.textContent = '';
    if (base === null) return;
    const v = override === undefined ? spec.value() : override.value;
    try {
      try {
        await save(v, base.revision ?? 1);
      } catch (err) {
        const theirs = conflictOf(err, 'feed', parseFeed);
        if (theirs === null) throw err;
        await resolve(v, theirs);
      }
    } catch (err) {
      errors.show(err);
    }
  };

  saveButton.addEventListener('click', () => void submit());
  element.addEventListener('input', () => (dirty = true));
  element.addEventListener('change', () => (dirty = true));
  const off = state.onChange(load);
  load();
  return { element, actions, submit, destroy: off };
}
