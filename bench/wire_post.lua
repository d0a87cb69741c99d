-- SPDX-License-Identifier: Apache-2.0
-- wrk script of the wire benchmark (bench/wire_ratio.cpp, docs/BENCHMARKS.md "Against the
-- wire"): POSTs, over and over, the request promptbench sent for one case, as the stub recorded
-- it, and prints wrk's counts as one machine-readable line.
--
--   wrk -t 1 -c 16 -d 5s -s bench/wire_post.lua http://127.0.0.1:PORT -- REQUEST_DIR
--
-- REQUEST_DIR holds four files written by the driver: `method`, `path`, `body` (the bytes as
-- sent) and `headers` ("name: value" lines; wrk adds Host and Content-Length itself).
--
-- There is deliberately no response() callback: with one, wrk parses every answer's headers
-- and body into Lua, work a raw HTTP client does not do. The status check is wrk's own count of
-- answers >= 400 (errors.status) plus the stub's counters, which the driver reads.

local function read_file(dir, name)
  local file = assert(io.open(dir .. "/" .. name, "rb"))
  local text = file:read("*a")
  file:close()
  return text
end

-- Runs in each wrk thread before its first request; wrk formats the request once afterwards.
function init(args)
  local dir = assert(args[1], "usage: wrk ... -s wire_post.lua URL -- REQUEST_DIR")
  wrk.method = read_file(dir, "method")
  wrk.path = read_file(dir, "path")
  wrk.body = read_file(dir, "body")
  for line in read_file(dir, "headers"):gmatch("[^\n]+") do
    local name, value = line:match("^([^:]+): (.*)$")
    wrk.headers[name] = value
  end
end

-- Runs once at the end; summary.requests counts complete answers, duration is in µs.
function done(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    "wire-wrk requests=%d duration_us=%d bytes=%d connect=%d read=%d write=%d status=%d timeout=%d\n",
    summary.requests, summary.duration, summary.bytes, errors.connect, errors.read, errors.write,
    errors.status, errors.timeout))
end
