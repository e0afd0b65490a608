namespace Onboarding.OperationsConsole.Indexing;

/// <summary>
/// The Lua scripts that keep the task index consistent: one event or one trim is one atomic script call, so a reader
/// never sees a task in two state sets or a set entry whose hash was half written. Keys are built inside the scripts
/// from the prefix (a single Redis, as the engine's result backend is).
/// </summary>
internal static class TaskIndexScripts
{
    /// <summary>
    /// Applies one task event. ARGV: prefix, id, event type, timestamp ms, hostname, ttl s, state, is-worker-event
    /// ("1"/"0"), then field/value pairs. The state moves only forward in time (as Celery's State orders events), except
    /// that SENT never replaces a worker's state; a task is scored once by when it was first seen, and the per-minute
    /// counters feed the overview chart.
    /// </summary>
    public const string Apply = """
        local p, id, typ, ts, host, ttl, state, fromworker = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], tonumber(ARGV[6]), ARGV[7], ARGV[8]
        local key = p .. 't:' .. id
        local cur = redis.call('HMGET', key, 'first', 'state', 'state_ts', 'name', 'worker')
        local first = tonumber(cur[1])
        local isnew = 0
        if not first then
          first = ts
          isnew = 1
          redis.call('HSET', key, 'id', id, 'first', ts)
          redis.call('ZADD', p .. 'all', ts, id)
        end
        local textchanged = isnew == 1
        for i = 9, #ARGV, 2 do
          if ARGV[i + 1] ~= '' then
            redis.call('HSET', key, ARGV[i], ARGV[i + 1])
            if ARGV[i] == 'args' or ARGV[i] == 'kwargs' then textchanged = true end
          end
        end
        -- The search text: one member per task in the 'text' set, "<id>\31<id args kwargs in lower case>", so a search
        -- reads thousands of tasks' text with one command instead of a hash per task.
        if textchanged then
          local a = redis.call('HMGET', key, 'args', 'kwargs', 'q')
          local q = id .. '\31' .. string.lower(id .. ' ' .. (a[1] or '') .. ' ' .. (a[2] or ''))
          if q ~= a[3] then
            if a[3] then redis.call('ZREM', p .. 'text', a[3]) end
            redis.call('ZADD', p .. 'text', first, q)
            redis.call('HSET', key, 'q', q)
          end
        end
        redis.call('HSET', key, 'at:' .. typ, ts)
        if typ == 'task-retried' then redis.call('HINCRBY', key, 'retried', 1) end
        if not cur[4] then
          local name = redis.call('HGET', key, 'name')
          if name then
            redis.call('ZADD', p .. 'name:' .. name, first, id)
            redis.call('SADD', p .. 'names', name)
          end
        end
        if fromworker == '1' and not cur[5] then
          redis.call('HSET', key, 'worker', host)
          redis.call('ZADD', p .. 'worker:' .. host, first, id)
          redis.call('SADD', p .. 'nodes', host)
        end
        local oldts = tonumber(cur[3])
        -- A client stamps task-sent after its publish was confirmed, often after the worker already reported the task:
        -- SENT is only ever a first state.
        if cur[2] ~= state and (not oldts or ts >= oldts) and not (state == 'SENT' and cur[2]) then
          if cur[2] then redis.call('ZREM', p .. 'state:' .. cur[2], id) end
          redis.call('ZADD', p .. 'state:' .. state, first, id)
          redis.call('HSET', key, 'state', state, 'state_ts', ts)
        elseif cur[2] == state then
          redis.call('HSET', key, 'state_ts', ts)
        end
        local parent = redis.call('HGET', key, 'parent_id')
        if parent and parent ~= id then
          redis.call('SADD', p .. 'c:' .. parent, id)
          redis.call('EXPIRE', p .. 'c:' .. parent, ttl)
        end
        redis.call('EXPIRE', key, ttl)
        if typ == 'task-succeeded' or typ == 'task-failed' or typ == 'task-retried' then
          local minute = p .. 'm:' .. math.floor(ts / 60000)
          redis.call('HINCRBY', minute, typ, 1)
          redis.call('EXPIRE', minute, 7200)
        end
        return isnew
        """;

    /// <summary>
    /// Drops up to ARGV[4] of the oldest tasks beyond ARGV[2] tasks, or else first seen before ARGV[3] (ms), from every
    /// set and deletes their hashes. ARGV[1] is the prefix. Returns how many went.
    /// </summary>
    public const string Trim = """
        local p, max, cutoff, batch = ARGV[1], tonumber(ARGV[2]), ARGV[3], tonumber(ARGV[4])
        local all = p .. 'all'
        local excess = redis.call('ZCARD', all) - max
        local ids
        if excess > 0 then
          ids = redis.call('ZRANGE', all, 0, math.min(excess, batch) - 1)
        else
          ids = redis.call('ZRANGEBYSCORE', all, '-inf', cutoff, 'LIMIT', 0, batch)
        end
        for _, id in ipairs(ids) do
          local key = p .. 't:' .. id
          local f = redis.call('HMGET', key, 'state', 'name', 'worker', 'q')
          if f[1] then redis.call('ZREM', p .. 'state:' .. f[1], id) end
          if f[2] then redis.call('ZREM', p .. 'name:' .. f[2], id) end
          if f[3] then redis.call('ZREM', p .. 'worker:' .. f[3], id) end
          if f[4] then redis.call('ZREM', p .. 'text', f[4]) end
          redis.call('DEL', key, p .. 'c:' .. id)
          redis.call('ZREM', all, id)
        end
        return #ids
        """;

    /// <summary>
    /// One chunk of a filtered scan, matched inside Redis so only the matching ids cross the wire (shipping every scanned
    /// task's fields to the console and matching there took 380 ms for 10,000 tasks). ARGV: prefix, the sorted set to
    /// walk, max and min score, how many tasks of the range were already looked at, how many to look at now, then
    /// state, name, worker, queue (empty: any), and how many matches are wanted. Returns how many tasks were looked at
    /// (fewer than asked once the range ends), then the matching ids, newest first. The walk goes by rank (the time
    /// range's bounds are counted once per call), as a score range with an offset would step over every skipped task on
    /// each call.
    /// </summary>
    public const string Scan = """
        local p, set, max, min, start, count = ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6])
        local state, name, worker, queue, want = ARGV[7], ARGV[8], ARGV[9], ARGV[10], tonumber(ARGV[11])
        local first = 0
        if max ~= '+inf' then first = redis.call('ZCOUNT', set, '(' .. max, '+inf') end
        local last = first + start + count - 1
        if min ~= '-inf' then last = math.min(last, redis.call('ZCOUNT', set, min, '+inf') - 1) end
        local ids = {}
        if last >= first + start then ids = redis.call('ZREVRANGE', set, first + start, last) end
        local out = {0}
        local looked = 0
        for _, id in ipairs(ids) do
          looked = looked + 1
          local f = redis.call('HMGET', p .. 't:' .. id, 'state', 'name', 'worker', 'queue')
          if (state == '' or f[1] == state) and (name == '' or f[2] == name)
            and (worker == '' or f[3] == worker) and (queue == '' or f[4] == queue) then
            out[#out + 1] = id
            if #out - 1 >= want then break end
          end
        end
        out[1] = looked
        return out
        """;

    /// <summary>
    /// Gives tasks indexed before the search text existed their member of the 'text' set (as <see cref="Apply"/> writes
    /// it), so an upgraded console still finds them. ARGV: prefix, rank to start at (oldest first), how many. Returns how
    /// many tasks it looked at.
    /// </summary>
    public const string BackfillText = """
        local p, start, count = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
        local ids = redis.call('ZRANGE', p .. 'all', start, start + count - 1, 'WITHSCORES')
        for i = 1, #ids, 2 do
          local id, key = ids[i], p .. 't:' .. ids[i]
          local a = redis.call('HMGET', key, 'args', 'kwargs', 'q', 'id')
          if a[4] and not a[3] then
            local q = id .. '\31' .. string.lower(id .. ' ' .. (a[1] or '') .. ' ' .. (a[2] or ''))
            redis.call('ZADD', p .. 'text', ids[i + 1], q)
            redis.call('HSET', key, 'q', q)
          end
        end
        return #ids / 2
        """;
}
