/**
 * Signing in: the editor's token is checked with a cheap editor read (the feeds index,
 * one row) before it is kept for the tab.
 */
import { createApi } from './api';
import { button, errorSlot, field, h, input, uid } from './dom';
import { FormErrors } from './form-errors';
import { ApiError } from './http';
import { session } from './session';

/** `signedIn` runs once the token was accepted; `notice` explains why the editor is here (a session that ended). */
export function createSignInView(base: string, signedIn: () => void, notice: string | null): HTMLElement {
  const token = field('Editor token', input({ type: 'password', autocomplete: 'off', spellcheck: 'false', required: true }),
    'The token your Liveline administrator gave you (LIVELINE_EDITOR_TOKENS, or the one the server printed at start-up). It is kept for this tab only.');
  const general = errorSlot(uid('sign-in-error'));
  const errors = new FormErrors(general).add('token', token.control, token.error);
  const submit = button('Sign in', { class: 'primary', type: 'submit' });
  const form = h('form', { class: 'panel sign-in', 'aria-labelledby': 'sign-in-title', novalidate: true },
    h('h1', { id: 'sign-in-title' }, 'Sign in to the editor console'),
    notice === null ? null : h('p', { class: 'notice', role: 'status' }, notice),
    token.row, h('div', { class: 'actions' }, submit), general);
  let busy = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    if (busy) return;
    errors.clear();
    const value = token.control.value.trim();
    if (value === '') return errors.say('token', 'Paste your editor token.');
    busy = true;
    createApi(base, () => value).checkToken().then(
      () => {
        session.signIn(value);
        signedIn();
      },
      (err: unknown) => {
        // Whatever the server said about it (refused, too many tries, unreachable), it belongs beside the token.
        if (err instanceof ApiError) errors.say('token', err.message);
        else errors.show(err);
      },
    ).finally(() => {
      busy = false;
    });
  });
  return h('div', { class: 'screen' }, form);
}
