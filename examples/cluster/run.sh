#!/usr/bin/env bash
# A cluster of three switchboard-echo-server nodes on one Redis, behind a round-robin
# proxy without stickiness (proxy.py). A client subscribes through the proxy; another
# publishes on another node; the node the client is on is killed (SIGKILL, mid-stream).
# The client resumes on another node and must get every event once, in order. Then
# Redis restarts without its data: the client is told of a gap, and goes on.
#
#   examples/cluster/run.sh ECHO_SERVER CAT [TRANSPORT...]
#
# ECHO_SERVER and CAT: the built switchboard-echo-server and switchboard-cat (e.g.
# build/dev/examples/...). TRANSPORT: websocket sse long-polling polling (default: all).
# Needs redis-server and python3. Exits 0 when nothing was lost or twice.
#
# Distributed under the Boost Software License, Version 1.0.
set -uo pipefail
server_bin=$1 cat_bin=$2
shift 2
transports=("$@")
[ ${#transports[@]} -eq 0 ] && transports=(websocket sse long-polling polling)
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
pids=()
declare -A node_pid
cleanup() {
  for p in "${pids[@]}" "${node_pid[@]}"; do kill -9 "$p" 2>/dev/null; done
  [ -f "$work/redis.pid" ] && kill "$(cat "$work/redis.pid")" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 200); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
# wait_for SECONDS COMMAND...: until the command succeeds.
wait_for() { local n=$(($1 * 20)); shift; for _ in $(seq $n); do "$@" && return 0; sleep 0.05; done; return 1; }
say() { printf "[cluster %s] %s\n" "$(date +%T)" "$*"; }

redis_port=$(free_port)
start_redis() {
  redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --pidfile "$work/redis.pid" --logfile "$work/redis.log" --dir "$work" || return 1
  wait_for 10 redis-cli -p "$redis_port" ping >/dev/null
}
start_redis || { echo "redis-server did not start" >&2; exit 1; }

ports=($(free_port) $(free_port) $(free_port))
start_node() { # PORT
  "$server_bin" --port "$1" --redis "127.0.0.1:$redis_port" > "$work/node-$1.log" 2>&1 &
  node_pid[$1]=$!
  disown
  wait_port "$1" && wait_for 10 grep -q "linked to Redis" "$work/node-$1.log"
}
for p in "${ports[@]}"; do start_node "$p" || { echo "node :$p did not start" >&2; exit 1; }; done
proxy_port=$(free_port)
python3 "$here/proxy.py" "$proxy_port" "${ports[@]}" > "$work/proxy.log" 2>&1 &
pids+=($!)
disown
wait_port "$proxy_port" || { echo "the proxy did not start" >&2; exit 1; }
say "redis :$redis_port; nodes :${ports[0]} :${ports[1]} :${ports[2]}; round-robin proxy :$proxy_port"

failures=0
# check NAME FILE FIRST LAST: FILE (switchboard-cat --json lines) holds the events
# FIRST..LAST, each once, in order (and nothing else of the publisher's).
check() {
  local verdict
  verdict=$(python3 - "$2" "$3" "$4" <<'EOF'
import json, sys
path, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
got = [int(json.loads(l)["data"]) for l in open(path) if l.strip()]
got = [n for n in got if first <= n <= last]
want = list(range(first, last + 1))
lost = len(set(want) - set(got))
twice = len(got) - len(set(got))
order = "in order" if got == sorted(got) else "OUT OF ORDER"
print(f"received {len(set(got))} of {len(want)}, {lost} lost, {twice} twice, {order}")
sys.exit(0 if got == want else 1)
EOF
  )
  local ok=$?
  say "$1: $verdict"
  [ $ok -eq 0 ] || failures=$((failures + 1))
}
# publish NODE_PORT FIRST LAST [KILL_AT KILL_PID]: broadcast events FIRST..LAST from a
# client on that node, 10 ms apart; kills KILL_PID (SIGKILL) after event KILL_AT.
publish() {
  for i in $(seq "$2" "$3"); do
    echo "$i"
    [ "$i" = "${4:-}" ] && kill -9 "$5"
    sleep 0.01
  done | "$cat_bin" --type broadcast "ws://127.0.0.1:$1/live" > /dev/null
}
# Lines of the proxy's log after line N that name a connection.
connections_after() { tail -n +$(($1 + 1)) "$work/proxy.log" | grep -o -- '-> [0-9]*' | cut -c4-; }
any_connection_after() { [ -n "$(connections_after "$1")" ]; }
lines_at_least() { [ "$(wc -l < "$1")" -ge "$2" ]; }
links_at_least() { [ "$(cat "$work"/node-*.log | grep -c "linked to Redis")" -ge "$1" ]; }

n=200
for t in "${transports[@]}"; do
  out="$work/sub-$t.out" err="$work/sub-$t.err"
  mkfifo "$work/in-$t"
  sleep 600 > "$work/in-$t" &
  holder=$!
  pids+=($holder)
  disown
  before=$(wc -l < "$work/proxy.log")
  "$cat_bin" --json --transport "$t" "http://127.0.0.1:$proxy_port/live" < "$work/in-$t" > "$out" 2> "$err" &
  sub=$!
  pids+=($sub)
  # The node of its first connection (its event stream, or its first GET) is its node.
  wait_for 10 any_connection_after "$before"
  victim=$(connections_after "$before" | head -1)
  wait_for 10 grep -q "opened (session mode, $t)" "$work/node-$victim.log"
  publisher=${ports[0]}
  [ "$publisher" = "$victim" ] && publisher=${ports[1]}
  say "$t: the client opened its session on :$victim; :$publisher publishes 1..$n; :$victim is killed after $((n / 2))"
  publish "$publisher" 1 "$n" $((n / 2)) "${node_pid[$victim]}"
  wait_for 30 lines_at_least "$out" "$n"
  sleep 0.3
  say "$t: after the kill the client's requests went to :$(connections_after "$before" | grep -v "^$victim\$" | sort -u | tr '\n' ' ')"
  check "$t, its node killed" "$out" 1 "$n"
  if [ "$t" = "${transports[0]}" ]; then
    # Redis loses everything (a restart without persistence): each node finds a new
    # epoch, and each session is told it may have lost an event. The stream goes on.
    redis-cli -p "$redis_port" shutdown nosave > /dev/null 2>&1
    wait_for 10 bash -c "! redis-cli -p $redis_port ping > /dev/null 2>&1"
    linked=$(cat "$work"/node-*.log | grep -c "linked to Redis")
    start_redis || { echo "redis-server did not restart" >&2; exit 1; }
    wait_for 20 links_at_least $((linked + 2))
    publish "$publisher" $((n + 1)) $((2 * n))
    wait_for 30 grep -q "\"data\":\"$((2 * n))\"" "$out"
    sleep 0.3
    if grep -q "were lost" "$err"; then say "$t, Redis restarted empty: the client was told: $(grep -m1 "were lost" "$err")"
    else say "$t, Redis restarted empty: NO GAP REPORTED"; failures=$((failures + 1)); fi
    check "$t, after Redis restarted" "$out" $((n + 1)) $((2 * n))
  fi
  kill "$sub" "$holder" 2>/dev/null
  wait "$sub" 2>/dev/null
  rm -f "$work/in-$t"
  start_node "$victim" || { echo "node :$victim did not restart" >&2; exit 1; }
done
if [ $failures -ne 0 ]; then
  say "$failures check(s) failed; the logs:"
  tail -n 20 "$work"/*.log "$work"/*.err >&2
  exit 1
fi
say "every client got every event once, in order"
