-- events.lua: POST /ops/events, each with a new id, a random one of the 50
-- bench event types and a slot that matches 2 of that type's 20 rules
-- (bench/rules.sql). The token comes from OPSTASKS_TOKEN. done() prints the
-- request and non-2xx counts; run.sh checks the tasks on disk (2 per event).
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OPSTASKS_TOKEN")
wrk.headers["Content-Type"] = "application/json"

local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end

local counter = 0
local run = tostring(os.time())

function init(args)
  math.randomseed(os.time() + (tid or 0))
end

request = function()
  counter = counter + 1
  local body = string.format('{"id":"evt_%s_%d_%d","type":"bench.t%d","user_id":"cus_bench",'
    .. '"occurred_at":"2026-06-01T09:30:00Z","data":{"slot":%d,"kind":"b","reason":"unreadable scan"}}',
    run, tid or 0, counter, math.random(0, 49), math.random(0, 9))
  return wrk.format(nil, nil, nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("requests=%d\nnon2xx=%d\n", summary.requests, summary.errors.status))
end
