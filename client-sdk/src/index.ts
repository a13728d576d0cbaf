/**
 * Liveline client SDK. ESM entry, and the IIFE bundle's global `Liveline`
 * (`new Liveline.LiveClient({ url })`). Everything exported here is a property of that
 * global, so a drop-in widget is added by exporting it here (e.g. `mount`).
 */
export { LiveClient } from './client';
export type { ClientEvents, ClientState, LiveClientOptions } from './client';
export { LiveError } from './errors';
export type { WebSocketConstructor, WebSocketLike } from './protocol';
export type { FetchLike } from './snapshot';
export type { EventSourceConstructor, EventSourceLike } from './sse-socket';
export type { SubscribeOptions, Subscription, SubscriptionEvents, SubscriptionState } from './subscription';
export type { Entry, Feed, FeedEventData, FeedEventType, FeedSnapshot, FeedStatus, LiveEvent, LiveEventOf } from './types';
export { allowServers, mount, widgetCss } from './widget';
export type { MountOptions, WidgetHandle, WidgetLabels } from './widget';
