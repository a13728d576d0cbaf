/**
 * The Lua scripts behind the Redis store. Each change is one script, so the idempotency
 * check, the next seq, the log append, the state update and the publish happen as one
 * atomic step, in seq order. Preconditions are checked before the first write: a script
 * that refuses writes nothing.
 */
import { LuaScript } from './lua-script';

/** KEYS: feed, epoch, seq, events, entries, timeline, pinned. ARGV: feed JSON, epoch. → 1 created, 0 exists. */
export const CREATE_FEED = new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6], KEYS[7])
redis.call('SET', KEYS[1], ARGV[1])
redis.call('SET', KEYS[2], ARGV[2])
redis.call('SET', KEYS[3], 0)
return 1
`, 7);

/**
 * KEYS: feed, seq, epoch, events, entries, timeline, pinned, idempotency, the entry's
 *       versions (the feed key when there is no entry).
 * ARGV: channel, history size, op (feed|create|update|delete), entry id,
 *       expected current JSON (compare-and-set for feed/update, and for delete when not ''), new JSON, pinned (1|0),
 *       event head (up to `"seq":`), event tail (after the epoch), fingerprint ('' = none), ttl s,
 *       most pinned entries per feed, the version this write makes ('' = none), the version
 *       it replaces (pushed first when the entry has no history yet: stored before histories).
 * → {'ok', seq, epoch} | {'replayed', record} | {'feed_not_found'} | {'entry_not_found'}
 *   | {'conflict'} | {'idempotency_key_reused'} | {'too_many_pinned'}
 *
 * The pinned cap is checked here, not by the caller: a count read before the script could
 * be stale by the time it runs, and two editors pinning at once would both pass. Only an
 * entry becoming pinned (a pinned create, or an update of an entry not in the pinned set)
 * is counted against it; editing a pinned entry or unpinning one is always allowed.
 */
export const COMMIT = new LuaScript(`
local op, id = ARGV[3], ARGV[4]
local current = redis.call('GET', KEYS[1])
if not current then return {'feed_not_found'} end
local fingerprint = ARGV[10]
if fingerprint ~= '' then
  local record = redis.call('GET', KEYS[8])
  if record then
    local nl = string.find(record, '\\n', 1, true)
    if string.sub(record, 1, nl - 1) ~= fingerprint then return {'idempotency_key_reused'} end
    return {'replayed', string.sub(record, nl + 1)}
  end
end
local order = nil
if op == 'feed' then
  if current ~= ARGV[5] then return {'conflict'} end
elseif op == 'update' or op == 'delete' then
  local entry = redis.call('HGET', KEYS[5], id)
  if not entry then return {'entry_not_found'} end
  if (op == 'update' or ARGV[5] ~= '') and entry ~= ARGV[5] then return {'conflict'} end
  order = redis.call('ZSCORE', KEYS[6], id) or redis.call('ZSCORE', KEYS[7], id)
end
if ARGV[7] == '1' and (op == 'create' or (op == 'update' and not redis.call('ZSCORE', KEYS[7], id))) then
  if redis.call('ZCARD', KEYS[7]) >= tonumber(ARGV[12]) then return {'too_many_pinned'} end
end
local seq = redis.call('INCR', KEYS[2])
local epoch = redis.call('GET', KEYS[3])
local event = ARGV[8] .. seq .. ',"epoch":' .. cjson.encode(epoch) .. ARGV[9]
redis.call('XADD', KEYS[4], 'MAXLEN', ARGV[2], seq .. '-0', 'e', event)
if op == 'feed' then
  redis.call('SET', KEYS[1], ARGV[6])
elseif op == 'delete' then
  redis.call('HDEL', KEYS[5], id)
  redis.call('ZREM', KEYS[6], id)
  redis.call('ZREM', KEYS[7], id)
else
  redis.call('HSET', KEYS[5], id, ARGV[6])
  order = order or seq
  local into, outof = KEYS[6], KEYS[7]
  if ARGV[7] == '1' then into, outof = KEYS[7], KEYS[6] end
  redis.call('ZREM', outof, id)
  redis.call('ZADD', into, order, id)
end
if op == 'delete' and KEYS[9] ~= KEYS[1] then
  redis.call('DEL', KEYS[9])
elseif ARGV[13] ~= '' then
  if ARGV[14] ~= '' and redis.call('LLEN', KEYS[9]) == 0 then redis.call('RPUSH', KEYS[9], ARGV[14]) end
  redis.call('RPUSH', KEYS[9], ARGV[13])
end
-- An announcement, not the event: nodes read the event itself from the log (broker.ts).
redis.call('PUBLISH', ARGV[1], '{"seq":' .. seq .. ',"epoch":' .. cjson.encode(epoch) .. '}')
if fingerprint ~= '' then
  redis.call('SET', KEYS[8], fingerprint .. '\\n{"seq":' .. seq .. ',"entry":' .. ARGV[6] .. '}', 'EX', ARGV[11])
end
return {'ok', seq, epoch}
`, 9);

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
