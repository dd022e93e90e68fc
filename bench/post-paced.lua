-- post-paced.lua: creates at a fixed rate beside another load, with
-- post.lua's bodies (dofile: run from the repository's root). RATE (default
-- 2000) creates/s on one wrk thread (-t1) and a few connections: each
-- request waits for the next slot of a fixed schedule (a monotonic clock
-- through LuaJIT's ffi) and goes at once when behind it, so a slow answer is
-- caught up on instead of lowering the rate (up to a second of backlog);
-- run.sh reports the rate achieved and stops it with SIGINT.
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } bench_ts; int clock_gettime(int, bench_ts *); ]]
local ts = ffi.new("bench_ts")
local function now_ms()
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

dofile("bench/post.lua")

local rate = tonumber(os.getenv("RATE") or "2000")
-- run with -t1: delay() is called before each request of any of the
-- thread's connections, and each call takes the next slot of one schedule
-- of 1000 / RATE ms, so the connections share the rate
local interval = 1000 / rate
local next_at
delay = function()
  local t = now_ms()
  if not next_at then next_at = t end
  next_at = next_at + interval
  local d = next_at - t
  if d < 0 then
    if d < -1000 then next_at = t end -- more than a second behind: do not burst
    return 0
  end
  return math.floor(d)
end
