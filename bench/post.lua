-- post.lua: durable creates, POST /ops/tasks with what staff send: a title,
-- a priority (as often as in the seed: mostly MEDIUM), a due date spread over
-- the next year, sla_hours, an assignee among the seed's 50 staff and a
-- customer among its 5,000 (bench/seed.c run with N=0 makes them). 1,000
-- bodies made up front and taken in turn, so wrk spends no time on them. The
-- token comes from OPSTASKS_TOKEN; done() prints the request and non-2xx
-- counts so run.sh can check the rows on disk against the answered creates.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OPSTASKS_TOKEN")
wrk.headers["Content-Type"] = "application/json"

local titles = {"Chase outstanding bank statement", "Book biometrics appointment",
  "Request employer letter", "Check passport copy", "Send renewal reminder",
  "Verify address registration", "Translate birth certificate", "File residence permit application"}
local prios = {"LOW", "MEDIUM", "MEDIUM", "MEDIUM", "HIGH", "HIGH", "URGENT"}
local slas = {8, 24, 48, 72, 120}
local bodies = {}
local n = 1000
math.randomseed(42)
for i = 1, n do
  local t = os.time() + math.random(1, 365) * 86400
  bodies[i] = string.format('{"title":"%s","priority":"%s","due_date":"%s","sla_hours":%d,' ..
    '"assignee_id":"sta_%02d","user_id":"cus_%04d"}', titles[math.random(#titles)],
    prios[math.random(#prios)], os.date("!%Y-%m-%d", t), slas[math.random(#slas)],
    math.random(0, 49), math.random(0, 4999))
end
local k = 0

request = function()
  k = k % n + 1
  return wrk.format(nil, nil, nil, bodies[k])
end

done = function(summary, latency, requests)
  io.write(string.format("requests=%d\nnon2xx=%d\n", summary.requests, summary.errors.status))
end
