-- wrk script: POST /api/v1/contacts with a rotating set of realistic bodies; prints p50/p95/p99.
local token = os.getenv("TOKEN")
local bodies = {}
local case_types = {"PARK", "BYGGLOV", "EKB", "FSKOLA", "AVFALL", "BIBL", "FKBARN", "SKVFOLK", "HEMTJ"}
local channels = {"besok", "telefon", "epost", "chatt"}
local levels = {1, 1, 2, 2, 2, 3, 4, 6}
for i = 1, 64 do
  bodies[i] = string.format(
    '{"office":"K1","channel":"%s","case_type":"%s","rosa_level":%d,"duration_seconds":%d}',
    channels[(i % #channels) + 1], case_types[(i % #case_types) + 1], levels[(i % #levels) + 1], 60 + i * 7)
end
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/api/v1/contacts", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
  }, bodies[(n % #bodies) + 1])
end
done = function(summary, latency, requests)
  io.write(string.format(
    'RESULT {"requests": %d, "non_2xx": %d, "socket_errors": %d, "p50_ms": %.2f, "p95_ms": %.2f, "p99_ms": %.2f, "requests_per_second": %.1f}\n',
    summary.requests, summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    summary.requests / (summary.duration / 1e6)))
end
