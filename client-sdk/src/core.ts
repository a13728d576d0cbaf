/**
 * The SDK alone, without the widget: the `/sdk/liveline-core.js` bundle (global `Liveline`)
 * for pages that render entries themselves. Budget: 5 KB gzipped.
 */
export { LiveClient } from './client';
export { LiveError } from './errors';
