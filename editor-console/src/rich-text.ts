/**
 * A small rich-text field for entry bodies and the "What to know" summary: an editable
 * area with a toolbar (Bold, Italic, Link, List, Quote, Image) that writes the plain HTML
 * the server keeps (p, b, i, a, ul/li, blockquote, img). Pasting inserts plain text only,
 * so no foreign markup (styles, scripts) comes in; what is loaded into it is sanitised first.
 */
import { askUrl } from './dialogs';
import { button, errorSlot, h, uid } from './dom';
import { report } from './form-errors';
import { hasContent, sanitize } from './sanitize';

export interface RichText {
  /** Label, toolbar, editable area and error slot. */
  readonly row: HTMLElement;
  readonly editable: HTMLElement;
  readonly error: HTMLParagraphElement;
  /** The HTML written, '' when nothing visible is. */
  html(): string;
  setHtml(html: string): void;
  onInput(listener: () => void): void;
}

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const INLINE = /^(#text|B|STRONG|I|EM|U|S|SMALL|SUB|SUP|MARK|A|Q|CITE|CODE|SPAN|IMG|BR)$/;

/** Top-level text and inline elements grouped into paragraphs, as the widget's styles expect. */
function paragraphs(root: HTMLElement): string {
  const out = document.createElement('div');
  let p: HTMLParagraphElement | null = null;
  for (const node of Array.from(root.childNodes)) {
    const inline = INLINE.test(node.nodeName);
    if (!inline) {
      p = null;
      out.append(node.cloneNode(true));
      continue;
    }
    if (node.nodeName === 'BR' && p === null) continue;
    p ??= out.appendChild(document.createElement('p'));
    p.append(node.cloneNode(true));
  }
  return out.innerHTML;
}

export function richText(label: string, hint?: string): RichText {
  const id = uid('rt');
  const labelEl = h('span', { class: 'label', id: `${id}-label` }, label);
  const hintEl = hint === undefined ? null : h('p', { class: 'hint', id: `${id}-hint` }, hint);
  const error = errorSlot(`${id}-error`);
  const editable = h('div', {
    id,
    class: 'editable',
    contenteditable: 'true',
    role: 'textbox',
    'aria-multiline': 'true',
    'aria-labelledby': labelEl.id,
    'aria-describedby': [error.id, hintEl?.id].filter(Boolean).join(' '),
    tabindex: '0',
  });
  labelEl.addEventListener('click', () => editable.focus());
  const listeners: Array<() => void> = [];
  const changed = (): void => listeners.forEach((l) => l());
  editable.addEventListener('input', changed);

  let saved: Range | null = null;
  const save = (): void => {
    const sel = getSelection();
    if (sel !== null && sel.rangeCount > 0 && editable.contains(sel.getRangeAt(0).commonAncestorContainer)) saved = sel.getRangeAt(0).cloneRange();
  };
  editable.addEventListener('blur', save);
  editable.addEventListener('keyup', save);
  editable.addEventListener('mouseup', save);
  /** Focus back in the area, with the selection it had (or the caret at the end). */
  const restore = (): void => {
    editable.focus();
    const sel = getSelection();
    if (sel === null) return;
    let range = saved;
    if (range === null || !editable.contains(range.commonAncestorContainer)) {
      range = document.createRange();
      range.selectNodeContents(editable);
      range.collapse(false);
    }
    sel.removeAllRanges();
    sel.addRange(range);
  };
  const exec = (command: string, value?: string): void => {
    restore();
    document.execCommand(command, false, value);
    save();
    changed();
  };

  editable.addEventListener('paste', (event) => {
    event.preventDefault();
    document.execCommand('insertText', false, event.clipboardData?.getData('text/plain') ?? '');
  });
  editable.addEventListener('focus', () => document.execCommand('defaultParagraphSeparator', false, 'p'));

  const quote = (): void => {
    restore();
    const anchor = getSelection()?.anchorNode ?? null;
    const el = anchor instanceof Element ? anchor : anchor?.parentElement ?? null;
    const inQuote = el?.closest('blockquote');
    if (inQuote && editable.contains(inQuote)) {
      inQuote.replaceWith(...Array.from(inQuote.childNodes));
      changed();
    } else exec('formatBlock', 'blockquote');
  };
  const link = async (): Promise<void> => {
    save();
    const answer = await askUrl('link');
    if (answer === null) return restore();
    const range = saved;
    if (range === null || range.collapsed) exec('insertHTML', `<a href="${esc(answer.url)}">${esc(answer.url)}</a>`);
    else exec('createLink', answer.url);
  };
  const image = async (): Promise<void> => {
    save();
    const answer = await askUrl('image');
    if (answer === null) return restore();
    exec('insertHTML', `<img src="${esc(answer.url)}" alt="${esc(answer.text)}">`);
  };

  const tools: ReadonlyArray<readonly [string, () => void | Promise<void>]> = [
    ['Bold', () => exec('bold')],
    ['Italic', () => exec('italic')],
    ['Link', link],
    ['List', () => exec('insertUnorderedList')],
    ['Quote', quote],
    ['Image', image],
  ];
  const toolbar = h('div', { class: 'toolbar', role: 'group', 'aria-label': `${label} formatting` });
  for (const [name, run] of tools) {
    const b = button(name, { class: 'tool' });
    // The mouse must not take the selection out of the area; the keyboard's Tab does, and restore() brings it back.
    b.addEventListener('mousedown', (event) => event.preventDefault());
    b.addEventListener('click', () => {
      Promise.resolve(run()).catch(report);
    });
    toolbar.append(b);
  }

  return {
    row: h('div', { class: 'row rich' }, labelEl, hintEl, toolbar, editable, error),
    editable,
    error,
    html() {
      const out = paragraphs(editable);
      return hasContent(out) ? out : '';
    },
    setHtml(html) {
      editable.replaceChildren(sanitize(html));
      saved = null;
    },
    onInput(listener) {
      listeners.push(listener);
    },
  };
}
