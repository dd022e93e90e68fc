-- post-min.lua: durable creates, POST /ops/tasks with the smallest useful body
-- (a title, a priority, one fixed due date, sla_hours), the second row beside
-- post.lua's; the token
-- comes from OPSTASKS_TOKEN. done() prints the request and non-2xx counts so
-- run.sh can check the rows on disk against the answered creates.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OPSTASKS_TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Chase outstanding bank statement","priority":"HIGH",'
  .. '"due_date":"2039-06-05","sla_hours":24}'

done = function(summary, latency, requests)
  io.write(string.format("requests=%d\nnon2xx=%d\n", summary.requests, summary.errors.status))
end
