-- GET requests (the queue or its stats) with the token from the environment.
wrk.headers["Authorization"] = "Bearer " .. os.getenv("OPSTASKS_TOKEN")

done = function(summary, latency, requests)
  io.write(string.format("non2xx=%d\n", summary.errors.status))
end
