/**
 * Puts an API error next to what caused it: a validation error beside the field it names
 * (`field` of the error body; `authors[2]` is the Authors field), anything else beside the
 * form's button. The control is marked aria-invalid and focused, so keyboard and screen
 * reader users land on it.
 */
import { say } from './dom';
import { ApiError } from './http';

interface Slot {
  readonly control: HTMLElement;
  readonly message: HTMLElement;
}

/** Hands an error that is a bug (not an answer of the API) to window.onerror, after showing it. */
export function report(err: unknown): void {
  setTimeout(() => {
    throw err;
  });
}

/** The words for any failure: an ApiError already has them. */
export function messageOf(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  return `Something went wrong in the console: ${err instanceof Error ? err.message : String(err)}`;
}

export class FormErrors {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly general: HTMLElement) {}

  /** Errors naming `name` (or `name[i]`) go to `message`, beside `control`. */
  add(name: string, control: HTMLElement, message: HTMLElement): this {
    this.slots.set(name, { control, message });
    return this;
  }

  clear(): void {
    say(this.general, null);
    for (const { control, message } of this.slots.values()) {
      say(message, null);
      control.removeAttribute('aria-invalid');
    }
  }

  /** Shows `message` beside the field `name` (or beside the button when the form has no such field). */
  say(name: string | null, message: string): void {
    const slot = name === null ? undefined : this.slots.get(name) ?? this.slots.get(name.replace(/\[\d+\]$/, ''));
    if (slot === undefined) {
      say(this.general, message);
      return;
    }
    say(slot.message, message);
    slot.control.setAttribute('aria-invalid', 'true');
    slot.control.focus();
  }

  /** Shows what went wrong; a failure that is not the API's answer is also reported as the bug it is. */
  show(err: unknown): void {
    this.say(err instanceof ApiError ? err.field : null, messageOf(err));
    if (!(err instanceof ApiError)) report(err);
  }
}
