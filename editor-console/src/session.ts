/**
 * The editor's token, kept for this browser tab only (sessionStorage: gone when the tab
 * closes, never shared with other tabs, never in a cookie the browser would send by itself).
 */
const KEY = 'liveline.editorToken';

export const session = {
  token(): string | null {
    return sessionStorage.getItem(KEY);
  },
  signIn(token: string): void {
    sessionStorage.setItem(KEY, token);
  },
  signOut(): void {
    sessionStorage.removeItem(KEY);
  },
};
