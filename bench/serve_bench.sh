#!/usr/bin/env bash
# Serving benchmark: wrk against `ming serve` (single-row v2 infer on the invitation model)
# and, in the same run, against nginx answering a fixed JSON body of similar size; prints
# both, the ratio, p99 at ~80% of ming's peak, batching on vs off at 64 connections, a soak
# with RSS growth, and the server's resident memory.
# Usage: bench/serve_bench.sh   (env: DURATION=10 SOAK=60 BUILD_DIR=build-bench)
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
BUILD_DIR=${BUILD_DIR:-build-bench}
DURATION=${DURATION:-10}
SOAK=${SOAK:-60}
need_debs wrk nginx
build_targets ming
MING=$BUILD_DIR/ming
W=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null; rm -rf "$W"' EXIT

"$MING" generate invitations --rows 10000 --seed 1 -o "$W/inv.csv" >/dev/null
"$MING" train "$W/inv.csv" --label accepted -o "$W/invitations.ming" --quiet >/dev/null 2>&1
BODY='{"inputs":[{"name":"holiday","datatype":"BYTES","shape":[1],"data":["no"]},{"name":"weather","datatype":"BYTES","shape":[1],"data":["sunny"]},{"name":"temperature","datatype":"FP32","shape":[1],"data":[22]},{"name":"her_mood","datatype":"BYTES","shape":[1],"data":["good"]},{"name":"ill","datatype":"BYTES","shape":[1],"data":["no"]},{"name":"other_plans","datatype":"BYTES","shape":[1],"data":["no"]},{"name":"relatives_visiting","datatype":"BYTES","shape":[1],"data":["no"]},{"name":"day_of_week","datatype":"BYTES","shape":[1],"data":["sat"]},{"name":"venue","datatype":"BYTES","shape":[1],"data":["cinema"]},{"name":"days_since_last","datatype":"INT64","shape":[1],"data":[7]},{"name":"distance_km","datatype":"FP32","shape":[1],"data":[3.5]}]}'
cat > "$W/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '$BODY'
wrk.headers["Content-Type"] = "application/json"
local d = tonumber(os.getenv("WRK_DELAY_MS") or "0")
if d > 0 then function delay() return d end end
LUA

# nginx: one worker (as ming gets one event thread), a fixed JSON answer of the same size.
ANSWER='{"model_name":"invitations","model_version":"1","outputs":[{"name":"label","datatype":"BYTES","shape":[1],"data":["yes"]},{"name":"probabilities","datatype":"FP32","shape":[1,2],"data":[0.1234567,0.8765433]}]}'
cat > "$W/nginx.conf" <<NGX
worker_processes 1;
daemon off;
pid $W/nginx.pid;
error_log $W/nginx.err;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $W; proxy_temp_path $W; fastcgi_temp_path $W; uwsgi_temp_path $W; scgi_temp_path $W;
  server { listen 127.0.0.1:18081; location / { default_type application/json; return 200 '$ANSWER'; } }
}
NGX
nginx -c "$W/nginx.conf" & sleep 0.5

start_ming() {  # args -> sets PORT, PID
  "$MING" serve "$W/invitations.ming" --port 0 "$@" > "$W/serve.out" 2>"$W/serve.err" &
  PID=$!
  for _ in $(seq 50); do grep -q listening "$W/serve.out" 2>/dev/null && break; sleep 0.1; done
  PORT=$(sed -n 's/.*:\([0-9]*\)$/\1/p' "$W/serve.out")
}
stop_ming() { kill -TERM "$PID"; wait "$PID" || true; }
rps() { sed -n 's/^Requests\/sec: *//p' "$1"; }
p99() { sed -n 's/^ *99% *//p' "$1"; }
errors() { grep -E "Non-2xx|Socket errors" "$1" || echo "none"; }
run_wrk() {  # url conns seconds out
  wrk -t1 -c"$2" -d"$3"s --latency -s "$W/post.lua" "$1" > "$4"
}

echo "$(machine_line)"
run_wrk http://127.0.0.1:18081/v2/models/invitations/infer 32 "$DURATION" "$W/nginx.txt"
start_ming --threads 1
RSS_IDLE=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
run_wrk "http://127.0.0.1:$PORT/v2/models/invitations/infer" 32 "$DURATION" "$W/ming.txt"
N=$(rps "$W/nginx.txt"); M=$(rps "$W/ming.txt")
echo "single-row infer, wrk -t1 -c32 ${DURATION}s: nginx $N req/s (p99 $(p99 "$W/nginx.txt")), ming $M req/s (p99 $(p99 "$W/ming.txt")), ming/nginx $(python3 -c "print(f'{$M/$N:.2f}')"); errors: $(errors "$W/ming.txt")"
# ~80% of peak: each of 32 connections pauses so that 32 / (pause + latency) ~ 0.8 * peak.
DELAY=$(python3 -c "print(max(0, round(32 / (0.8 * $M) * 1000 - 0.2, 3)))")
WRK_DELAY_MS=$DELAY run_wrk "http://127.0.0.1:$PORT/v2/models/invitations/infer" 32 "$DURATION" "$W/ming80.txt"
echo "at ~80% of peak (pause ${DELAY} ms per request): $(rps "$W/ming80.txt") req/s, p99 $(p99 "$W/ming80.txt"), errors: $(errors "$W/ming80.txt")"
RSS0=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)  # warm: after two load runs
WRK_DELAY_MS=$DELAY run_wrk "http://127.0.0.1:$PORT/v2/models/invitations/infer" 32 "$SOAK" "$W/soak.txt"
RSS1=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
echo "soak ${SOAK}s at ~80%: $(rps "$W/soak.txt") req/s, errors: $(errors "$W/soak.txt"); RSS ${RSS0} kB before -> ${RSS1} kB after ($(python3 -c "print(f'{($RSS1-$RSS0)/$RSS0*100:+.1f}%')")); idle RSS with the model loaded: ${RSS_IDLE} kB"
stop_ming

for delay in 0 200; do
  start_ming --threads 1 --max-delay-us $delay --max-batch 64
  run_wrk "http://127.0.0.1:$PORT/v2/models/invitations/infer" 64 "$DURATION" "$W/b$delay.txt"
  echo "wrk -c64, --max-delay-us $delay: $(rps "$W/b$delay.txt") req/s, p99 $(p99 "$W/b$delay.txt"), errors: $(errors "$W/b$delay.txt"), RSS $(awk '/VmRSS/ {print $2}' /proc/$PID/status) kB"
  stop_ming
done
echo "batching on/off at 64 connections: $(python3 -c "print(f'{$(rps "$W/b200.txt")/$(rps "$W/b0.txt"):.2f}')")x"
