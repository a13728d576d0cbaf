/**
 * The Lua scripts behind the Redis store. Each change is one script, so the idempotency
 * check, the next seq, the log append, the state update and the audit record happen as one
 * atomic step, in seq order. Nothing is published from a script: the store announces a
 * change only once enough replicas have it (RedisStore.commit), so no reader ever sees a
 * change a failover could take back. Preconditions are checked before the first write: a script
 * that refuses writes nothing.
 */
import { LuaScript } from './lua-script';

/**
 * Lua: with a `fingerprint` ('' = none), answers a repeated Idempotency-Key from its record
 * at `key` (fingerprint, newline, original result) before anything else is written. The
 * record is written again as it is: a replay then has a write of its own for WAIT to wait
 * on, one the original change precedes, so a replay is only acknowledged once the replicas
 * hold the change it reports, whichever connection made it.
 */
const REPLAY_IDEMPOTENT = (key: string): string => `
if fingerprint ~= '' then
  local record = redis.call('GET', ${key})
  if record then
    local nl = string.find(record, '\\n', 1, true)
    if string.sub(record, 1, nl - 1) ~= fingerprint then return {'idempotency_key_reused'} end
    redis.call('SET', ${key}, record, 'KEEPTTL')
    return {'replayed', string.sub(record, nl + 1)}
  end
end`;

/**
 * KEYS: feed, epoch, seq, events, entries, timeline, pinned, audit, scheduled, due.
 * ARGV: feed JSON, epoch, audit record JSON. → 1 created, 0 exists.
 */
export const CREATE_FEED = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9], KEYS[10])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], 0)
redis.call('RPUSH', KEYS[8], ARGV[3])
return 1
`, 10);

/**
 * KEYS: feed, seq, epoch, events, entries, timeline, pinned, idempotency, the entry's
 *       versions (the feed key when there is no entry), scheduled, due, audit.
 * ARGV: history size, op (feed|create|update|delete|publish), entry id,
 *       expected current JSON (compare-and-set for feed/update, for delete when not '', and
 *       for publish: the scheduled entry's JSON), new JSON, pinned (1|0),
 *       event head (up to `"seq":`), event tail (after the epoch), fingerprint ('' = none), ttl s,
 *       most pinned entries per feed, the version this write makes ('' = none), the version
 *       it replaces (pushed first when the entry has no history yet: stored before histories),
 *       audit record head (up to `"seq":`) and tail, publishAt ms (publish only).
 * → {'ok', seq, epoch} | {'replayed', record} | {'feed_not_found'} | {'entry_not_found'}
 *   | {'conflict'} | {'idempotency_key_reused'} | {'too_many_pinned'} | {'not_due'} | {'gone'}
 *
 * `publish` turns a scheduled entry into an entry, once: the scheduled copy goes in the same
 * step, so a second node (or a retry) finds it `gone`. Redis's clock decides whether it is
 * due, so nodes whose clocks disagree can't publish early.
 *
 * The pinned cap is checked here, not by the caller: a count read before the script could
 * be stale by the time it runs, and two editors pinning at once would both pass. Only an
 * entry becoming pinned (a pinned create, or an update of an entry not in the pinned set)
 * is counted against it; editing a pinned entry or unpinning one is always allowed.
 */
export const COMMIT = new LuaScript(`
local op, id = ARGV[2], ARGV[3]
local current = redis.call('GET', KEYS[1])
if not current then return {'feed_not_found'} end
local fingerprint = ARGV[9]
${REPLAY_IDEMPOTENT('KEYS[8]')}
local order = nil
if op == 'publish' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) < tonumber(ARGV[16]) then return {'not_due'} end
  local scheduled = redis.call('HGET', KEYS[10], id)
  if not scheduled then return {'gone'} end
  if scheduled ~= ARGV[4] then return {'conflict'} end
elseif op == 'feed' then
  if current ~= ARGV[4] then return {'conflict'} end
elseif op == 'update' or op == 'delete' then
  local entry = redis.call('HGET', KEYS[5], id)
  if not entry then return {'entry_not_found'} end
  if (op == 'update' or ARGV[4] ~= '') and entry ~= ARGV[4] then return {'conflict'} end
  order = redis.call('ZSCORE', KEYS[6], id) or redis.call('ZSCORE', KEYS[7], id)
end
if ARGV[6] == '1' and (op == 'create' or op == 'publish' or (op == 'update' and not redis.call('ZSCORE', KEYS[7], id))) then
  if redis.call('ZCARD', KEYS[7]) >= tonumber(ARGV[11]) then return {'too_many_pinned'} end
end
local seq = redis.call('INCR', KEYS[2])
local epoch = redis.call('GET', KEYS[3])
local event = ARGV[7] .. seq .. ',"epoch":' .. cjson.encode(epoch) .. ARGV[8]
redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[1], seq .. '-0', 'e', event)
if op == 'feed' then
  redis.call('SET', KEYS[1], ARGV[5])
elseif op == 'delete' then
  redis.call('HDEL', KEYS[5], id)
  redis.call('ZREM', KEYS[6], id)
  redis.call('ZREM', KEYS[7], id)
else
  redis.call('HSET', KEYS[5], id, ARGV[5])
  order = order or seq
  local into, outof = KEYS[6], KEYS[7]
  if ARGV[6] == '1' then into, outof = KEYS[7], KEYS[6] end
  redis.call('ZREM', outof, id)
  redis.call('ZADD', into, order, id)
end
if op == 'delete' and KEYS[9] ~= KEYS[1] then
  redis.call('DEL', KEYS[9])
elseif ARGV[12] ~= '' then
  if ARGV[13] ~= '' and redis.call('LLEN', KEYS[9]) == 0 then redis.call('RPUSH', KEYS[9], ARGV[13]) end
  redis.call('RPUSH', KEYS[9], ARGV[12])
end
if op == 'publish' then
  redis.call('HDEL', KEYS[10], id)
  redis.call('ZREM', KEYS[11], id)
end
redis.call('RPUSH', KEYS[12], ARGV[14] .. seq .. ARGV[15])
if fingerprint ~= '' then
  redis.call('SET', KEYS[8], fingerprint .. '\\n{"seq":' .. seq .. ',"entry":' .. ARGV[5] .. '}', 'EX', ARGV[10])
end
return {'ok', seq, epoch}
`, 12);

/**
 * Scheduled entries: kept beside the feed, invisible to readers, no event.
 * KEYS: feed, scheduled, due, idempotency (the feed key when none), audit.
 * ARGV: op (put|replace|cancel), entry id, expected current JSON (replace; cancel when not ''),
 *       new JSON, publishAt ms, fingerprint ('' = none), ttl s, audit record JSON.
 * → {'ok', soonest publishAt ms or ''} | {'replayed', record} | {'due'} | {'feed_not_found'}
 *   | {'not_found'} | {'conflict'} | {'idempotency_key_reused'}
 *
 * `due`: a put whose time has already come by Redis's clock (the caller publishes it now
 * instead), so a node whose clock runs ahead can't publish an entry early.
 */
export const SCHEDULE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return {'feed_not_found'} end
local op, id, fingerprint = ARGV[1], ARGV[2], ARGV[6]
${REPLAY_IDEMPOTENT('KEYS[4]')}
if op == 'put' then
  local t = redis.call('TIME')
  if tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) >= tonumber(ARGV[5]) then return {'due'} end
else
  local current = redis.call('HGET', KEYS[2], id)
  if not current then return {'not_found'} end
  if (op == 'replace' or ARGV[3] ~= '') and current ~= ARGV[3] then return {'conflict'} end
end
if op == 'cancel' then
  redis.call('HDEL', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
else
  redis.call('HSET', KEYS[2], id, ARGV[4])
  redis.call('ZADD', KEYS[3], ARGV[5], id)
end
redis.call('RPUSH', KEYS[5], ARGV[8])
if fingerprint ~= '' then
  redis.call('SET', KEYS[4], fingerprint .. '\\n{"scheduled":' .. ARGV[4] .. '}', 'EX', ARGV[7])
end
local soonest = redis.call('ZRANGE', KEYS[3], 0, 0, 'WITHSCORES')
return {'ok', soonest[2] or ''}
`, 5);

/**
 * KEYS: any key of the feed (only routes the script: on a Cluster, to the feed's master).
 * ARGV: channel, message. A plain PUBLISH names no key, so a Cluster client sends each to
 * any node over any connection and two announcements of one feed could overtake each
 * other; through the feed's slot they leave in order, from where COMMIT publishes too.
 */
export const PUBLISH_FEED = new LuaScript(`
return redis.call('PUBLISH', ARGV[1], ARGV[2])
`, 1);

/**
 * KEYS: due feeds. ARGV: most feeds. → {now ms (Redis's clock), {feed id, score, …}} for the
 * feeds whose soonest scheduled entry is due.
 */
export const DUE_FEEDS = new LuaScript(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
return {now, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, ARGV[1])}
`, 1);

/**
 * KEYS: due feeds. ARGV: feed id, the score it was seen with, its soonest publishAt now ('' = none).
 * Raises the feed's score to its soonest entry (+inf when it has none: feeds are never
 * removed, so an editor's `ZADD LT` always lands) only if no one lowered it since it was seen.
 */
export const REINDEX_DUE = new LuaScript(`
if redis.call('ZSCORE', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[1], ARGV[3] == '' and '+inf' or ARGV[3], ARGV[1])
return 1
`, 1);

/**
 * KEYS: feed, seq, epoch, entries, timeline, pinned. ARGV: limit.
 * → false, or {feed JSON, seq, epoch, {pinned entry JSON…}, {entry JSON…}, last score or false}
 */
export const SNAPSHOT = new LuaScript(`
local feed = redis.call('GET', KEYS[1])
if not feed then return false end
local limit = tonumber(ARGV[1])
local function entries(ids)
  if #ids == 0 then return {} end
  return redis.call('HMGET', KEYS[4], unpack(ids))
end
local pinned = entries(redis.call('ZREVRANGE', KEYS[6], 0, -1))
local page = redis.call('ZREVRANGE', KEYS[5], 0, limit, 'WITHSCORES')
local ids, cursor = {}, false
for i = 1, #page, 2 do
  if #ids == limit then cursor = page[i - 1] or false break end
  ids[#ids + 1] = page[i]
end
return {feed, redis.call('GET', KEYS[2]), redis.call('GET', KEYS[3]), pinned, entries(ids), cursor}
`, 6);

/** KEYS: feed, entries, timeline. ARGV: before (exclusive score), limit. → false, or {{entry JSON…}, last score or false}. */
export const PAGE = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local limit = tonumber(ARGV[2])
local page = redis.call('ZREVRANGEBYSCORE', KEYS[3], '(' .. ARGV[1], '-inf', 'WITHSCORES', 'LIMIT', 0, limit + 1)
local ids, cursor = {}, false
for i = 1, #page, 2 do
  if #ids == limit then cursor = page[i - 1] or false break end
  ids[#ids + 1] = page[i]
end
if #ids == 0 then return {{}, cursor} end
return {redis.call('HMGET', KEYS[2], unpack(ids)), cursor}
`, 3);

/**
 * KEYS: seq, epoch, events. ARGV: since, limit (most events returned; 0: all).
 * → false (no feed), or {seq, epoch, oldest seq held, {event JSON…}}; the events (the
 *   first `limit` after since) only when since is inside [oldest - 1, seq] (the caller
 *   decides what a cursor outside means).
 */
export const EVENTS_SINCE = new LuaScript(`
local epoch = redis.call('GET', KEYS[2])
if not epoch then return false end
local seq = tonumber(redis.call('GET', KEYS[1]) or '0')
local since = tonumber(ARGV[1])
local oldest = seq + 1
local first = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
if #first > 0 then oldest = tonumber(string.match(first[1][1], '^(%d+)')) end
local events = {}
if since >= oldest - 1 and since < seq then
  local range
  if tonumber(ARGV[2]) > 0 then
    range = redis.call('XRANGE', KEYS[3], (since + 1) .. '-0', '+', 'COUNT', ARGV[2])
  else
    range = redis.call('XRANGE', KEYS[3], (since + 1) .. '-0', '+')
  end
  for _, item in ipairs(range) do
    events[#events + 1] = item[2][2]
  end
end
return {seq, epoch, oldest, events}
`, 3);
