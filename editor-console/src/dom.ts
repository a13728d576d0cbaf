/**
 * Small DOM builders. Every control the console makes carries a visible <label> (or visible
 * text), and every element is built with createElement and textContent: text from the API
 * is never parsed as HTML here (HTML goes through sanitize.ts).
 */

type Attrs = Readonly<Record<string, string | boolean | undefined>>;
type Child = Node | string | null | undefined | false;

/** `h('button', { class: 'primary', type: 'button' }, 'Publish')`. `true` sets an empty attribute, false/undefined none. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    el.setAttribute(name, value === true ? '' : value);
  }
  append(el, ...children);
  return el;
}

export function append(el: Element, ...children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c);
  }
}

let counter = 0;
/** A document-unique id with a readable prefix. */
export const uid = (prefix: string): string => `${prefix}-${++counter}`;

export function button(text: string, attrs: Attrs = {}): HTMLButtonElement {
  return h('button', { type: 'button', ...attrs }, text);
}

/** The message slot under a field (or a form): empty and hidden until an error is shown. */
export function errorSlot(id: string): HTMLParagraphElement {
  const p = h('p', { class: 'error', id, hidden: true });
  p.setAttribute('role', 'alert');
  return p;
}

export interface Field<C extends HTMLElement> {
  /** The wrapper: label, control, hint and error slot. */
  readonly row: HTMLElement;
  readonly control: C;
  readonly error: HTMLParagraphElement;
}

/**
 * A labelled control with an error slot the control is described by. `hint` is visible
 * help text under the label.
 */
export function field<C extends HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>(label: string, control: C, hint?: string): Field<C> {
  const id = control.id || uid('f');
  control.id = id;
  const error = errorSlot(`${id}-error`);
  const describedBy = [`${id}-error`];
  const hintEl = hint === undefined ? null : h('p', { class: 'hint', id: `${id}-hint` }, hint);
  if (hintEl !== null) describedBy.push(hintEl.id);
  control.setAttribute('aria-describedby', describedBy.join(' '));
  const checkbox = control instanceof HTMLInputElement && control.type === 'checkbox';
  const labelEl = h('label', { for: id }, label);
  const row = checkbox
    ? h('div', { class: 'row check' }, control, labelEl, hintEl, error)
    : h('div', { class: 'row' }, labelEl, hintEl, control, error);
  return { row, control, error };
}

export function input(attrs: Attrs = {}): HTMLInputElement {
  return h('input', { type: 'text', ...attrs });
}

export function select(options: ReadonlyArray<readonly [value: string, label: string]>, attrs: Attrs = {}): HTMLSelectElement {
  return h('select', attrs, ...options.map(([value, label]) => h('option', { value }, label)));
}

/** Shows `message` in `slot` (or hides it when null). */
export function say(slot: HTMLElement, message: string | null): void {
  slot.textContent = message ?? '';
  slot.hidden = message === null;
}

/** A polite status line ("Published.", "Saved."): spoken by screen readers without taking focus. */
export function statusLine(): HTMLParagraphElement {
  const p = h('p', { class: 'status' });
  p.setAttribute('role', 'status');
  return p;
}
