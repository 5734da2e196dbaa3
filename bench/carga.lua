-- wrk script: replays the requests of the file in WRK_REQUESTS (one per line, fields
-- separated by tabs: method, path, body, then header name/value pairs), in order and
-- round-robin, and prints one JSON line with the counts and latency percentiles.
local requests = {}
local index = 0

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("([^\t]*)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

function init(args)
  for line in io.lines(os.getenv("WRK_REQUESTS")) do
    local f = split(line)
    local headers = {}
    for i = 4, #f - 1, 2 do
      headers[f[i]] = f[i + 1]
    end
    local body = nil
    if f[3] ~= "" then body = f[3] end
    requests[#requests + 1] = wrk.format(f[1], f[2], headers, body)
  end
end

function request()
  index = index % #requests + 1
  return requests[index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "errors": %d, "non2xx": %d, ' ..
    '"p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write + e.timeout, e.status,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
