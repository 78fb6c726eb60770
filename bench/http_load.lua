-- wrk script of `make bench-http`: every POST body is a different prestation.
--
-- wrk -s bench/http_load.lua URL -- MODE TAG MEMBER_ID CLIENT_ID TODAY [BEARER]
--   MODE   "get" (a plain GET of URL's path) or "post" (a prestation encoding)
--   TAG    unique per wrk run: it prefixes every Idempotency-Key and description
--   TODAY  the simulated date (YYYY-MM-DD); the two days of each prestation lie 7 to ~300
--          days after it, Sundays skipped
-- Every answer's status is counted per thread; done() prints one BENCH_RESULT line with the
-- requests, the latency percentiles (µs), wrk's own error counts and the non-2xx count.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

local counter = 0
-- globals, not locals: done() reads them from each thread with thread:get
statuses = {}
non2xx = 0
local mode, tag, member_id, client_id, bearer
local today = {}

function init(args)
  mode, tag, member_id, client_id = args[1] or "get", args[2] or "run", args[3] or "", args[4] or ""
  local y, m, d = string.match(args[5] or "2026-03-02", "(%d+)-(%d+)-(%d+)")
  today = { year = tonumber(y), month = tonumber(m), day = tonumber(d), hour = 12 }
  bearer = args[6]
end

local function day_after(offset)
  local t = os.time({ year = today.year, month = today.month, day = today.day + offset, hour = 12 })
  if os.date("*t", t).wday == 1 then -- a Sunday: the Monday after
    t = t + 86400
  end
  return t
end

local function prestation_body(n)
  local first = day_after(7 + n % 290)
  local second = first + 86400
  if os.date("*t", second).wday == 1 then
    second = second + 86400
  end
  return string.format(
    '{"member_id": "%s", "client_id": "%s", "description": "Bench gig %s-%d-%d",'
      .. ' "days": [{"date": "%s", "hours": 8}, {"date": "%s", "hours": 8}],'
      .. ' "amount_excl_vat_cents": %d, "vat_rate": "21", "withholding_rate": "22",'
      .. ' "expenses": []}',
    member_id, client_id, tag, tid, n, os.date("%Y-%m-%d", first), os.date("%Y-%m-%d", second),
    100000 + n % 1000
  )
end

function request()
  counter = counter + 1
  if mode ~= "post" then
    return wrk.format("GET", wrk.path)
  end
  local headers = {
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = string.format("%s-%d-%d", tag, tid, counter),
  }
  if bearer ~= nil and bearer ~= "" then
    headers["Authorization"] = "Bearer " .. bearer
  end
  return wrk.format("POST", wrk.path, headers, prestation_body(counter))
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end

function done(summary, latency, requests)
  local total, seen = 0, {}
  for _, thread in ipairs(threads) do
    total = total + (thread:get("non2xx") or 0)
    for status, count in pairs(thread:get("statuses") or {}) do
      seen[status] = (seen[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(seen) do
    table.insert(parts, string.format("%d:%d", status, count))
  end
  table.sort(parts)
  local e = summary.errors
  io.write(string.format(
    "BENCH_RESULT requests=%d duration_us=%d p50_us=%d p99_us=%d max_us=%d non2xx=%d"
      .. " connect=%d read=%d write=%d timeout=%d status=%d statuses=%s\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    latency.max, total, e.connect, e.read, e.write, e.timeout, e.status,
    table.concat(parts, ",")
  ))
end
