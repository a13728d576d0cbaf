/**
 * Native modal <dialog>s: focus moves into the dialog and stays there, Escape cancels, and
 * focus returns to where it was when the dialog closes. Each resolves with the choice made.
 */
import { button, field, h, input } from './dom';

/**
 * Shows a modal dialog titled `title` with `body` and one button per choice, in the order
 * given; an element of `body` with `autofocus`, else the first button, has focus. Resolves
 * with the value of the button pressed, or `cancel` on Escape.
 */
export function modal<T>(title: string, body: readonly Node[], choices: ReadonlyArray<readonly [label: string, value: T, primary?: boolean]>, cancel: T, wide = false): Promise<T> {
  const back = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const heading = h('h2', { id: `dialog-title-${Date.now().toString(36)}` }, title);
  const dialog = h('dialog', { class: wide ? 'wide' : undefined, 'aria-labelledby': heading.id });
  const actions = h('div', { class: 'actions' });
  return new Promise<T>((resolve) => {
    let result = cancel;
    for (const [label, value, primary] of choices) {
      const b = button(label, { class: primary ? 'primary' : undefined });
      b.addEventListener('click', () => {
        result = value;
        dialog.close();
      });
      actions.append(b);
    }
    dialog.append(heading, ...body, actions);
    dialog.addEventListener('close', () => {
      dialog.remove();
      back?.focus();
      resolve(result);
    });
    document.body.append(dialog);
    dialog.showModal();
    (dialog.querySelector<HTMLElement>('[autofocus]') ?? actions.querySelector('button'))?.focus();
  });
}

/** "Delete this entry?" — resolves true only when the editor confirms. The safe choice has focus. */
export async function confirmDialog(title: string, message: string, confirmLabel: string, keepLabel: string): Promise<boolean> {
  return modal(title, [h('p', {}, message)], [[keepLabel, false], [confirmLabel, true, true]], false);
}

export interface UrlAnswer {
  readonly url: string;
  /** The image's description (alt text), when asked for. */
  readonly text: string;
}

/**
 * Asks for a link's or an image's address (http:// or https://, as the server keeps) and, for
 * an image, its description. Resolves null when cancelled.
 */
export function askUrl(kind: 'link' | 'image'): Promise<UrlAnswer | null> {
  const url = field(kind === 'link' ? 'Link address' : 'Image address', input({ type: 'url', required: true, placeholder: 'https://…', autofocus: true }));
  const text = field('Image description (for people who can\'t see it)', input());
  const form = h('form', { method: 'dialog' }, url.row, kind === 'image' ? text.row : null);
  return new Promise((resolve) => {
    const dialog = h('dialog', { 'aria-label': kind === 'link' ? 'Add a link' : 'Add an image' });
    const back = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    let answer: UrlAnswer | null = null;
    const ok = button(kind === 'link' ? 'Add link' : 'Add image', { class: 'primary', type: 'submit' });
    const cancel = button('Cancel');
    cancel.addEventListener('click', () => dialog.close());
    form.append(h('div', { class: 'actions' }, cancel, ok));
    form.addEventListener('submit', (event) => {
      const value = url.control.value.trim();
      if (!/^https?:\/\/\S+$/i.test(value)) {
        event.preventDefault();
        url.error.textContent = 'Give the full address, starting with https://';
        url.error.hidden = false;
        url.control.setAttribute('aria-invalid', 'true');
        url.control.focus();
        return;
      }
      answer = { url: value, text: text.control.value.trim() };
    });
    dialog.addEventListener('close', () => {
      dialog.remove();
      back?.focus();
      resolve(answer);
    });
    dialog.append(h('h2', {}, kind === 'link' ? 'Add a link' : 'Add an image'), form);
    document.body.append(dialog);
    dialog.showModal();
    url.control.focus();
  });
}
