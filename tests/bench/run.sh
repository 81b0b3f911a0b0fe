#!/usr/bin/env bash
# switchboard's benchmarks: every peer server in one run, same load generators, same
# machine, figures side by side with ratios. WebSocket: against raw Beast, websocketpp
# and Node ws. SSE: against a minimal Node http SSE server. Long-polling and polling:
# against a raw Beast HTTP server (the ceiling) and a minimal Node http long-poll server.
#   bash tests/bench/run.sh [SECONDS] [IDLE_CONNECTIONS] [all|websocket|sse|poll|tls|cluster]
# TLS: WebSocket echo and fan-out over TLS against raw Beast over beast::ssl_stream.
# Builds the release preset's benchmark targets and installs the Node peer (npm ci) if
# needed. Each server gets one thread, pinned to CPU 0; the load generators are pinned
# to CPU 1 (unpinned, the scheduler sometimes puts both on one core and a run loses
# a fifth of its rate).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-5}"
idle="${2:-10000}"
only="${3:-all}"
bash .ci/deps libwebsocketpp-dev >/dev/null
command -v node >/dev/null || bash .ci/deps nodejs npm >/dev/null
cmake --preset release >/dev/null
cmake --build --preset release --target bench-switchboard-server bench-beast-server bench-websocketpp-server bench-loadgen \
  bench-sse-loadgen bench-poll-loadgen bench-beast-http-server >/dev/null
(cd tests/node && { [ -d node_modules/ws ] && [ -d node_modules/eventsource ] || npm ci --no-audit --no-fund >/dev/null; })
ulimit -n "$(ulimit -Hn)" # idle connections need one descriptor each, on each side
bin=build/release/tests/bench
load() { taskset -c 1 "$@"; } # the load generators' core
port=9700
certs=build/release/tests/bench-tls # TLS test certificates, made by tests/tls/make_certs.sh
bash tests/tls/make_certs.sh "$certs" >/dev/null

peers=(switchboard beast websocketpp node)
start_server() { # peer mode -> pid
  case "$1" in # exec: $! must be the server itself, for kill and /proc
    switchboard) exec taskset -c 0 "$bin/bench-switchboard-server" "$port" "$2" ;;
    beast) exec taskset -c 0 "$bin/bench-beast-server" "$port" "$2" ;;
    websocketpp) exec taskset -c 0 "$bin/bench-websocketpp-server" "$port" "$2" ;;
    node) NODE_PATH=tests/node/node_modules exec taskset -c 0 node tests/bench/ws_server.js "$port" "$2" ;;
    node-sse) exec taskset -c 0 node tests/bench/sse_server.js "$port" ;;
    node-lp) exec taskset -c 0 node tests/bench/longpoll_server.js "$port" ;;
    beast-http) exec taskset -c 0 "$bin/bench-beast-http-server" "$port" ;;
    switchboard-tls) SB_TLS_CERT="$certs/server.pem" SB_TLS_KEY="$certs/server.key" \
                       exec taskset -c 0 "$bin/bench-switchboard-server" "$port" "$2" ;;
    beast-tls) exec taskset -c 0 "$bin/bench-beast-server" "$port" "$2" "$certs/server.pem" "$certs/server.key" ;;
  esac > /dev/null &
  server=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && return 0; sleep 0.05; done
  echo "server $1 did not start" >&2; return 1
}
stop_server() { kill "$server" 2>/dev/null; wait "$server" 2>/dev/null || true; port=$((port + 1)); }
field() { sed -n "s/.*$1=\([0-9.]*\).*/\1/p" <<<"$2"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# Server memory per idle connection, in bytes, into $growth: peer, server mode, then
# the load generator's command line (it prints "ready" once every connection is open).
# Not in a subshell: start_server and stop_server keep state (the server, the port).
idle_growth() {
  local peer=$1 mode=$2; shift 2
  start_server "$peer" "$mode"
  sleep 0.5
  local before after
  before=$(rss_kib "$server")
  coproc LOADGEN { exec "$@"; } # exec: the PID is the load generator's
  read -r _ <&"${LOADGEN[0]}"
  sleep 1
  after=$(rss_kib "$server")
  kill "$LOADGEN_PID" 2>/dev/null; wait "$LOADGEN_PID" 2>/dev/null || true
  stop_server
  growth=$(( (after - before) * 1024 / idle ))
}

# A discarded warm-up: the first run after a build measured up to a fifth lower.
start_server switchboard echo
load "$bin/bench-loadgen" "$port" echo 100 32 2 >/dev/null
stop_server

declare -A echo_rate echo_p50 echo_p99 fan_rate fan_p99 idle_bytes
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
[ "$only" != all ] && [ "$only" != websocket ] && peers=()
for peer in "${peers[@]}"; do
  echo "measuring $peer ..." >&2
  start_server "$peer" echo
  out=$(load "$bin/bench-loadgen" "$port" echo 100 32 "$seconds")
  stop_server
  echo_rate[$peer]=$(field messages_per_s "$out"); echo_p50[$peer]=$(field p50_us "$out"); echo_p99[$peer]=$(field p99_us "$out")

  start_server "$peer" fanout
  out=$(load "$bin/bench-loadgen" "$port" fanout 100 32 "$seconds")
  stop_server
  fan_rate[$peer]=$(field rounds_per_s "$out"); fan_p99[$peer]=$(field round_p99_us "$out")

  idle_growth "$peer" echo "$bin/bench-loadgen" "$port" idle "$idle" 0 60
  idle_bytes[$peer]=$growth
done

if [ ${#peers[@]} -gt 0 ]; then
echo
echo "WebSocket benchmark: ${seconds} s per run, 100 connections, 32-byte messages; idle: $idle connections"
printf "%-12s | %12s %6s %9s %9s | %10s %6s %11s | %13s %6s\n" peer "echo msg/s" "×beast" "p50 µs" "p99 µs" "fan-out r/s" "×beast" "round p99 µs" "idle B/conn" "×beast"
for peer in "${peers[@]}"; do
  printf "%-12s | %12s %6s %9s %9s | %10s %6s %11s | %13s %6s\n" "$peer" \
    "${echo_rate[$peer]}" "$(ratio "${echo_rate[$peer]}" "${echo_rate[beast]}")" "${echo_p50[$peer]}" "${echo_p99[$peer]}" \
    "${fan_rate[$peer]}" "$(ratio "${fan_rate[$peer]}" "${fan_rate[beast]}")" "${fan_p99[$peer]}" \
    "${idle_bytes[$peer]}" "$(ratio "${idle_bytes[$peer]}" "${idle_bytes[beast]}")"
done

# SSE: one publisher (POSTs), 1,000 event streams; the publisher puts 1 event per POST,
# then up to 32 (as many as the window allows), and never has more than 32 events
# not yet delivered to every stream.
fi
sse_peers=(switchboard node-sse)
[ "$only" != all ] && [ "$only" != sse ] && sse_peers=()
declare -A sse1_rate sse1_p99 sse32_rate sse32_p99 sse_idle
for peer in "${sse_peers[@]}"; do
  echo "measuring $peer (SSE) ..." >&2
  mode=plain; [ "$peer" == switchboard ] && mode=session
  for batch in 1 32; do
    start_server "$peer" sse
    out=$(load "$bin/bench-sse-loadgen" "$port" fanout 1000 "$seconds" "$mode" "$batch")
    stop_server
    if [ "$batch" == 1 ]; then sse1_rate[$peer]=$(field deliveries_per_s "$out"); sse1_p99[$peer]=$(field p99_us "$out")
    else sse32_rate[$peer]=$(field deliveries_per_s "$out"); sse32_p99[$peer]=$(field p99_us "$out"); fi
  done
  idle_growth "$peer" sse "$bin/bench-sse-loadgen" "$port" idle "$idle" 0 -
  sse_idle[$peer]=$growth
done
if [ ${#sse_peers[@]} -gt 0 ]; then
echo
echo "SSE benchmark: ${seconds} s per run, 1 publisher, 1000 event streams; idle: $idle streams"
printf "%-12s | %14s %6s %9s | %14s %6s %9s | %13s %6s\n" peer "1/POST deliv/s" "×node" "p99 µs" "32/POST deliv/s" "×node" "p99 µs" "idle B/conn" "×node"
for peer in "${sse_peers[@]}"; do
  printf "%-12s | %14s %6s %9s | %14s %6s %9s | %13s %6s\n" "$peer" \
    "${sse1_rate[$peer]}" "$(ratio "${sse1_rate[$peer]}" "${sse1_rate[node-sse]}")" "${sse1_p99[$peer]}" \
    "${sse32_rate[$peer]}" "$(ratio "${sse32_rate[$peer]}" "${sse32_rate[node-sse]}")" "${sse32_p99[$peer]}" \
    "${sse_idle[$peer]}" "$(ratio "${sse_idle[$peer]}" "${sse_idle[node-sse]}")"
done
fi

# TLS: the WebSocket echo and fan-out over TLS (TLS 1.3, the loadgen's OpenSSL through
# Asio), switchboard against raw Beast (websocket::stream over beast::ssl_stream).
if [ "$only" == all ] || [ "$only" == tls ]; then
declare -A tls_echo tls_echo_p99 tls_fan tls_fan_p99
for peer in switchboard beast; do
  echo "measuring $peer (TLS) ..." >&2
  start_server "$peer-tls" echo
  out=$(load "$bin/bench-loadgen" "$port" tls-echo 100 32 "$seconds")
  stop_server
  tls_echo[$peer]=$(field messages_per_s "$out"); tls_echo_p99[$peer]=$(field p99_us "$out")
  start_server "$peer-tls" fanout
  out=$(load "$bin/bench-loadgen" "$port" tls-fanout 100 32 "$seconds")
  stop_server
  tls_fan[$peer]=$(field rounds_per_s "$out"); tls_fan_p99[$peer]=$(field round_p99_us "$out")
done
echo
echo "WebSocket over TLS: ${seconds} s per run, 100 connections, 32-byte messages"
printf "%-12s | %12s %6s %9s | %10s %6s %12s\n" peer "echo msg/s" "×beast" "p99 µs" "fan-out r/s" "×beast" "round p99 µs"
for peer in switchboard beast; do
  printf "%-12s | %12s %6s %9s | %10s %6s %12s\n" "$peer" \
    "${tls_echo[$peer]}" "$(ratio "${tls_echo[$peer]}" "${tls_echo[beast]}")" "${tls_echo_p99[$peer]}" \
    "${tls_fan[$peer]}" "$(ratio "${tls_fan[$peer]}" "${tls_fan[beast]}")" "${tls_fan_p99[$peer]}"
done
fi


# Long-polling and polling (bench-poll-loadgen speaks the session protocol by hand).
# Round trips: 100 clients, each sends an event and waits for its echo, over each
# transport of one switchboard server, and a keep-alive GET answered at once by raw Beast
# (the ceiling: one HTTP exchange; a long-poll round trip is two, the POST and the GET).
# Fan-out: 1,000 long-polling subscribers, one publisher (1 event per POST, at most 32
# undelivered), next to switchboard's SSE fan-out (1,000 streams) and Node.
# Polling: 100 sessions polling back to back with nothing to receive; the bytes of one
# empty poll both ways give an idle client's cost at the default 1 s interval.
# The cluster (the Redis backplane): a redis-server of its own. The raw load generator
# against one node with and without the backplane (what the stream costs a node); then
# nodes and session-mode clients in one process (bench-cluster): fan-out over 1, 2, 3
# nodes, publish-to-delivery latency, and 1,000 sessions moved to another node at once.
if { [ "$only" == all ] || [ "$only" == cluster ]; } && command -v redis-server >/dev/null; then
  cmake --build --preset release --target bench-cluster >/dev/null
  redis_dir="$PWD/build/release/tests/bench-redis"
  bash tests/redis/server.sh start "$redis_dir"
  rp=$(cat "$redis_dir/port")
  echo "measuring the cluster ..." >&2
  declare -A cl_fan
  start_server switchboard fanout
  cl_fan[none]=$(field rounds_per_s "$(load "$bin/bench-loadgen" "$port" fanout 100 32 "$seconds")")
  stop_server
  SB_REDIS="127.0.0.1:$rp" start_server switchboard fanout
  sleep 0.3
  cl_fan[redis]=$(field rounds_per_s "$(load "$bin/bench-loadgen" "$port" fanout 100 32 "$seconds")")
  stop_server
  cluster() { taskset -c 0,1 "$bin/bench-cluster" "$@"; }
  declare -A cl_del cl_p50 cl_p99 cl_resume
  cl_del[0]=$(field deliveries_per_s "$(cluster fanout 0 1 1000 2000)")
  for n in 1 2 3; do cl_del[$n]=$(field deliveries_per_s "$(cluster fanout "$rp" $n 1000 2000)"); done
  out=$(cluster latency 0 1 2000); cl_p50[0]=$(field p50_us "$out"); cl_p99[0]=$(field p99_us "$out")
  for n in 1 3; do out=$(cluster latency "$rp" $n 2000); cl_p50[$n]=$(field p50_us "$out"); cl_p99[$n]=$(field p99_us "$out"); done
  cl_resume[none]=$(field resume_ms "$(cluster resume 0 1000 300)")
  cl_resume[redis]=$(field resume_ms "$(cluster resume "$rp" 1000 300)")
  cl_resume[redis-checkpointed]=$(field resume_ms "$(cluster resume "$rp" 1000 1500)")
  bash tests/redis/server.sh stop "$redis_dir"
  echo
  echo "Cluster: one node under the raw load generator (fan-out, ${seconds} s, 100 connections, 32-byte messages)"
  printf "%-26s | %12s %10s
" node "rounds/s" "×no Redis"
  printf "%-26s | %12s %10s
" "switchboard" "${cl_fan[none]}" "1.00"
  printf "%-26s | %12s %10s
" "switchboard + backplane" "${cl_fan[redis]}" "$(ratio "${cl_fan[redis]}" "${cl_fan[none]}")"
  echo
  echo "Cluster: nodes and 1000 WebSocket session clients in one process (2 cores in all: nodes, clients, Redis)"
  printf "%-26s | %14s %10s | %9s %9s
" nodes "deliveries/s" "×no Redis" "p50 µs" "p99 µs"
  printf "%-26s | %14s %10s | %9s %9s
" "1, no Redis" "${cl_del[0]}" "1.00" "${cl_p50[0]}" "${cl_p99[0]}"
  for n in 1 2 3; do
    printf "%-26s | %14s %10s | %9s %9s
" "$n on Redis" "${cl_del[$n]}" "$(ratio "${cl_del[$n]}" "${cl_del[0]}")" "${cl_p50[$n]:--}" "${cl_p99[$n]:--}"
  done
  echo
  echo "Cluster: 1000 sessions' connections cut at once, resumed (time until each is open and has an event published after)"
  printf "%-40s | %10s
" case "ms"
  printf "%-40s | %10s
" "one node, no Redis (same node)" "${cl_resume[none]}"
  printf "%-40s | %10s
" "moved to another node" "${cl_resume[redis]}"
  printf "%-40s | %10s
" "moved, each checkpointed just before" "${cl_resume[redis-checkpointed]}"
fi

[ "$only" != all ] && [ "$only" != poll ] && exit 0
echo "measuring long-polling and polling ..." >&2
declare -A rt_rate rt_p50 rt_p99 lp_rate lp_p99
start_server switchboard echo
for kind in long-polling sse websocket; do
  out=$(load "$bin/bench-poll-loadgen" "$port" rt 100 "$seconds" "$kind")
  rt_rate[$kind]=$(field per_s "$out"); rt_p50[$kind]=$(field p50_us "$out"); rt_p99[$kind]=$(field p99_us "$out")
done
out=$(load "$bin/bench-poll-loadgen" "$port" polls 100 "$seconds")
poll_rate=$(field per_s "$out"); poll_bytes=$(( $(field request_bytes "$out") + $(field answer_bytes "$out") ))
stop_server
start_server beast-http
out=$(load "$bin/bench-poll-loadgen" "$port" rt 100 "$seconds" ceiling)
rt_rate[ceiling]=$(field per_s "$out"); rt_p50[ceiling]=-; rt_p99[ceiling]=-
stop_server
start_server switchboard lp-fanout
out=$(load "$bin/bench-poll-loadgen" "$port" fanout 1000 "$seconds" session)
lp_rate[switchboard-long-polling]=$(field per_s "$out"); lp_p99[switchboard-long-polling]=$(field p99_us "$out")
stop_server
start_server switchboard sse
out=$(load "$bin/bench-sse-loadgen" "$port" fanout 1000 "$seconds" session 1)
lp_rate[switchboard-sse]=$(field deliveries_per_s "$out"); lp_p99[switchboard-sse]=$(field p99_us "$out")
stop_server
start_server node-lp
out=$(load "$bin/bench-poll-loadgen" "$port" fanout 1000 "$seconds" plain)
lp_rate[node-long-polling]=$(field per_s "$out"); lp_p99[node-long-polling]=$(field p99_us "$out")
stop_server

echo
echo "Long-polling round trips: ${seconds} s per run, 100 clients, one event each way per round trip"
printf "%-26s | %14s %9s %9s %9s\n" transport "round trips/s" "×ceiling" "p50 µs" "p99 µs"
for kind in long-polling sse websocket ceiling; do
  name=switchboard-$kind; [ "$kind" == ceiling ] && name="beast GET (ceiling)"
  printf "%-26s | %14s %9s %9s %9s\n" "$name" "${rt_rate[$kind]}" "$(ratio "${rt_rate[$kind]}" "${rt_rate[ceiling]}")" "${rt_p50[$kind]}" "${rt_p99[$kind]}"
done
echo
echo "Long-polling fan-out: ${seconds} s per run, 1 publisher (1 event per POST), 1000 subscribers"
printf "%-26s | %14s %9s %9s\n" peer "deliveries/s" "×node" "p99 µs"
for peer in switchboard-long-polling switchboard-sse node-long-polling; do
  printf "%-26s | %14s %9s %9s\n" "$peer" "${lp_rate[$peer]}" "$(ratio "${lp_rate[$peer]}" "${lp_rate[node-long-polling]}")" "${lp_p99[$peer]}"
done
echo
echo "Polling: 100 sessions polling back to back, nothing published"
printf "%-26s | %14s %9s | %s\n" peer "requests/s" "×ceiling" "bytes per idle client per minute at 1 s"
printf "%-26s | %14s %9s | %s (%s per poll, both ways)\n" switchboard-polling "$poll_rate" "$(ratio "$poll_rate" "${rt_rate[ceiling]}")" "$(( poll_bytes * 60 ))" "$poll_bytes"

