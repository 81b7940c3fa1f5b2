-- Signed app_mention deliveries for wrk, each sent once, from a pool bench/wrk.ts pre-signs:
-- one line per request, "<timestamp>\t<signature>\t<body>". Args: <pool file> <threads>.
-- Thread k of n takes lines k, k+n, k+2n…, so no two threads send the same delivery.
local counter = 0

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end

local pool = {}
local size = 0
local next_index = 0

function init(args)
  local path, n = args[1], tonumber(args[2] or "1")
  local k = tid or 0
  local line_no = 0
  for line in io.lines(path) do
    if line_no % n == k then
      local ts, sig, body = line:match("^(%d+)\t([^\t]+)\t(.*)$")
      size = size + 1
      pool[size] = wrk.format("POST", "/slack/events", {
        ["Content-Type"] = "application/json",
        ["X-Slack-Request-Timestamp"] = ts,
        ["X-Slack-Signature"] = sig,
      }, body)
    end
    line_no = line_no + 1
  end
end

-- A steady offered load when WRK_PAUSE_MS is set: each connection waits that long after an answer.
-- Unset, there is no delay() at all (wrk then sends at once, as fast as answered).
local pause = tonumber(os.getenv("WRK_PAUSE_MS") or "0")
if pause > 0 then
  function delay()
    return pause
  end
end

function request()
  next_index = next_index % size + 1
  return pool[next_index]
end

-- One JSON line the bench parses: counts, and the latency distribution in microseconds.
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"non2xx":%d,"socket_errors":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean))
end
