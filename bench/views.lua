-- views.lua: the page's built-in views in turn (src/web/queue.js builtins()),
-- each asked as the page asks it (GET /ops/tasks?...&limit=50): the default
-- (OPEN), My work (as sta_07, with OPSTASKS_STAFF_TOKEN), All active,
-- Unassigned, Overdue, SLA at risk or breached, Done today (today in UTC, the
-- server's timezone here). Tokens come from OPSTASKS_TOKEN and
-- OPSTASKS_STAFF_TOKEN. done() prints the request, non-2xx and socket-error
-- counts.
local admin = "Bearer " .. os.getenv("OPSTASKS_TOKEN")
local staff = "Bearer " .. (os.getenv("OPSTASKS_STAFF_TOKEN") or os.getenv("OPSTASKS_TOKEN"))
local act = "OPEN%2CIN_PROGRESS%2COVERDUE"
local today = os.date("!%Y-%m-%d")
local views = {
  {"/ops/tasks?status=OPEN&limit=50", admin},
  {"/ops/tasks?status=" .. act .. "&assignee_id=me&limit=50", staff},
  {"/ops/tasks?status=" .. act .. "&limit=50", admin},
  {"/ops/tasks?status=" .. act .. "&assignee_id=none&limit=50", admin},
  {"/ops/tasks?status=OVERDUE&limit=50", admin},
  {"/ops/tasks?status=" .. act .. "&sla_state=at_risk%2Cbreached&limit=50", admin},
  {"/ops/tasks?status=COMPLETED&completed_from=" .. today .. "&completed_to=" .. today .. "&limit=50", admin},
}
-- formatted in init(), once wrk has set the Host header
local reqs = {}
function init(args)
  for i, v in ipairs(views) do
    reqs[i] = wrk.format("GET", v[1], {["Host"] = wrk.headers["Host"], ["Authorization"] = v[2]})
  end
end

local k = 0
request = function()
  k = k % #reqs + 1
  return reqs[k]
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("requests=%d\nnon2xx=%d\nsockerr=%d\n", summary.requests, e.status,
    e.connect + e.read + e.write + e.timeout))
end
