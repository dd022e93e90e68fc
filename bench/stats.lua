-- stats.lua: the queue's stats bar, GET /ops/tasks/stats; the token comes from
-- OPSTASKS_TOKEN. Filters go in the URL given to wrk
-- (…/ops/tasks/stats?assignee_id=sta_07).
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OPSTASKS_TOKEN")

done = function(summary, latency, requests)
  io.write(string.format("requests=%d\nnon2xx=%d\n", summary.requests, summary.errors.status))
end
