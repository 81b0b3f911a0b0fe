#!/usr/bin/env bash
# A redis-server for the tests, on a free loopback port, without persistence:
#   server.sh start DIR    starts it in the background; DIR/port holds its port
#   server.sh stop DIR     stops it
# (ctest runs these as the fixture `redis`.)
set -euo pipefail
cmd=$1 dir=$2
mkdir -p "$dir"
if [ "$cmd" = stop ]; then
  [ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
  rm -f "$dir/pid" "$dir/port"
  exit 0
fi
[ -f "$dir/pid" ] && kill "$(cat "$dir/pid")" 2>/dev/null || true
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
  --pidfile "$dir/pid" --logfile "$dir/log" --dir "$dir"
for _ in $(seq 100); do
  redis-cli -p "$port" ping >/dev/null 2>&1 && { echo "$port" > "$dir/port"; exit 0; }
  sleep 0.05
done
echo "redis-server did not start: $(cat "$dir/log" 2>/dev/null)" >&2
exit 1
