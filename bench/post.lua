-- POST /ops/tasks with a realistic body; the token comes from the environment.
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OPSTASKS_TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"title":"Chase outstanding bank statement","priority":"HIGH","due_date":"2099-06-05","sla_hours":24}'

done = function(summary, latency, requests)
  io.write(string.format("non2xx=%d\n", summary.errors.status))
end
