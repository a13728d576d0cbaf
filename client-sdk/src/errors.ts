/**
 * Every error the SDK reports (client `'error'` event, rejected work) is a LiveError with a
 * machine-readable `code`:
 *
 * - `snapshot_failed`  GET /v1/feeds/:feed failed (network, HTTP status, bad body); retried with backoff
 * - `feed_not_found`   the feed does not exist (HTTP 404 or an error frame). A subscription that
 *                      never saw the feed is closed; one that had it (the store lost it) resets
 *                      and keeps reloading the snapshot with backoff until the feed is back
 * - `closed_by_server` the server closed the socket with a 4500–4999 code; the client stops reconnecting
 * - `connect_failed`   the WebSocket could not even be constructed; retried with backoff
 * - `protocol_error`   the server sent a frame the SDK cannot read
 * - `untrusted_origin` an answer did not come from the configured server: a snapshot or
 *                      "Load older" request was redirected (the SDK follows no redirects), or
 *                      an SSE stream was answered by another origin. Nothing of it is shown;
 *                      retried with backoff like a failed request
 * - any other code     taken from a server `error` frame (`unavailable`, `rate_limited`,
 *                      `invalid_field`, …; `server_error` when the frame carried none).
 *                      `unavailable` and `rate_limited` are retried with backoff
 */
export class LiveError extends Error {
  /** Machine-readable code, see the list above. */
  readonly code: string;
  /** The feed concerned, when there is one. */
  readonly feed: string | undefined;

  constructor(code: string, message: string, options: { feed?: string; cause?: unknown } = {}) {
    super(message, 'cause' in options ? { cause: options.cause } : undefined);
    this.name = 'LiveError';
    this.code = code;
    this.feed = options.feed;
  }
}
