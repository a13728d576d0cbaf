/**
 * A write refused with 412 revision_conflict: someone saved a newer version first. The
 * dialog shows theirs (the current version, from the error body) beside the editor's own,
 * and lets them merge (their version goes into the form, theirs and yours stay visible
 * side by side) or overwrite (send theirs again, based on their revision).
 */
import { modal } from './dialogs';
import { h } from './dom';
import { sanitize } from './sanitize';

export type ConflictChoice = 'merge' | 'overwrite' | 'cancel';

/** One labelled part of a version: plain text, or HTML (shown sanitised, as readers get it). */
export type Part = readonly [label: string, value: string, kind?: 'html'];

/** A version as a small definition list: "Headline: …", "Body: …". */
export function versionView(heading: string, parts: readonly Part[], className: string): HTMLElement {
  const dl = h('dl');
  for (const [label, value, kind] of parts) {
    const dd = h('dd', { class: kind === 'html' ? 'html' : undefined });
    if (kind === 'html') dd.append(sanitize(value));
    else dd.textContent = value === '' ? '(none)' : value;
    dl.append(h('dt', {}, label), dd);
  }
  return h('section', { class: `version ${className}` }, h('h3', {}, heading), dl);
}

/** The parts of an entry's content worth comparing. */
export function entryParts(c: { headline: string | null; body: string; authors: readonly string[]; tags: readonly string[]; pinned: boolean; keyEvent: boolean }): Part[] {
  const flags = [c.pinned ? 'pinned' : '', c.keyEvent ? 'key event' : ''].filter(Boolean).join(', ');
  return [
    ['Headline', c.headline ?? ''],
    ['Body', c.body, 'html'],
    ['Authors', c.authors.join(', ')],
    ['Tags', c.tags.join(', ')],
    ['Marked', flags],
  ];
}

/**
 * Asks what to do about a conflict on `what` ("this entry", "the summary"…). `theirs` and
 * `yours` are shown side by side (stacked on a phone).
 */
export function conflictDialog(what: string, theirRevision: number, theirs: readonly Part[], yours: readonly Part[]): Promise<ConflictChoice> {
  const body = [
    h('p', {}, `Someone else saved ${what} while you were working on it (it is now at revision ${theirRevision}). Nothing of yours was saved yet.`),
    h('div', { class: 'versions' },
      versionView(`Their version (revision ${theirRevision})`, theirs, 'theirs'),
      versionView('Your version (not saved)', yours, 'yours')),
    h('p', { class: 'hint' }, 'Merge puts their version in the form and keeps yours visible beside it, so you can combine them and save. Overwrite replaces their version with yours.'),
  ];
  return modal<ConflictChoice>(`Edit conflict on ${what}`, body, [
    ['Cancel', 'cancel'],
    ['Overwrite with mine', 'overwrite'],
    ['Merge', 'merge', true],
  ], 'cancel', true);
}
