-- queue.lua: the default queue view, GET /ops/tasks (status OPEN, sorted by
-- due date, 50 rows); the token comes from OPSTASKS_TOKEN. Filters go in the
-- URL given to wrk (…/ops/tasks?priority=URGENT).
wrk.method = "GET"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OPSTASKS_TOKEN")

done = function(summary, latency, requests)
  io.write(string.format("requests=%d\nnon2xx=%d\n", summary.requests, summary.errors.status))
end
