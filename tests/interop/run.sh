#!/usr/bin/env bash
# Interop: the switchboard server with the npm `ws` and Python `websockets` clients,
# the npm `eventsource` client, and a standard-library Python long-polling and polling
# client written from docs/protocol.md alone; the switchboard client (switchboard-cat) against
# npm ws, Python websockets and a Node http SSE server.
#   run.sh ECHO_SERVER CAT
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
server_bin=$1 cat_bin=$2
export NODE_PATH="$here/../node/node_modules"
py=/usr/bin/python3 # Debian's python3-websockets lives with the system interpreter
free_port() { "$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.05; done; return 1; }
pids=()
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
passed=0 failed=0
check() { if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $1"; fi; }

port=$(free_port)
"$server_bin" --port "$port" 2>/dev/null & pids+=($!)
wait_port "$port"
node "$here/ws_peer.js" client "ws://127.0.0.1:$port/live"; check "npm ws client against the switchboard server" $?
"$py" "$here/py_peer.py" client "ws://127.0.0.1:$port/live"; check "Python websockets client against the switchboard server" $?
node "$here/sse_peer.js" client "http://127.0.0.1:$port/live"; check "npm eventsource client against the switchboard server" $?
for t in long-polling polling; do
  "$py" "$here/poll_peer.py" "http://127.0.0.1:$port/live" $t; check "a Python $t client written from docs/protocol.md" $?
done

# The same clients over TLS (wss://, https://), trusting a test CA made here: Python
# reads it from SSL_CERT_FILE, Node from NODE_EXTRA_CA_CERTS.
certs=$(mktemp -d)
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$certs"' EXIT
bash "$here/../tls/make_certs.sh" "$certs" > /dev/null
tls_port=$(free_port)
"$server_bin" --port "$(free_port)" --cert "$certs/server.pem" --key "$certs/server.key" --tls-port "$tls_port" 2>/dev/null & pids+=($!)
wait_port "$tls_port"
NODE_EXTRA_CA_CERTS="$certs/ca.pem" node "$here/ws_peer.js" client "wss://127.0.0.1:$tls_port/live"
check "npm ws client over wss:// against the switchboard server" $?
SSL_CERT_FILE="$certs/ca.pem" "$py" "$here/py_peer.py" client "wss://127.0.0.1:$tls_port/live"
check "Python websockets client over wss:// against the switchboard server" $?
NODE_EXTRA_CA_CERTS="$certs/ca.pem" node "$here/sse_peer.js" client "https://127.0.0.1:$tls_port/live"
check "npm eventsource client and fetch over https:// against the switchboard server" $?
for t in long-polling polling; do
  SSL_CERT_FILE="$certs/ca.pem" "$py" "$here/poll_peer.py" "https://127.0.0.1:$tls_port/live" $t
  check "a Python $t client over https://" $?
done

expected=$'one\ntwo\nthree'
port=$(free_port)
node "$here/ws_peer.js" server "$port" >/dev/null & pids+=($!)
wait_port "$port"
got=$(printf 'one\ntwo\nthree\n' | "$cat_bin" --plain "ws://127.0.0.1:$port/"); rc=$?
[ "$rc" -eq 0 ] && [ "$got" == "$expected" ]; check "switchboard client against an npm ws server" $?

port=$(free_port)
"$py" "$here/py_peer.py" server "$port" >/dev/null & pids+=($!)
wait_port "$port"
got=$(printf 'one\ntwo\nthree\n' | "$cat_bin" --plain "ws://127.0.0.1:$port/"); rc=$?
[ "$rc" -eq 0 ] && [ "$got" == "$expected" ]; check "switchboard client against a Python websockets server" $?

port=$(free_port)
node "$here/sse_peer.js" server "$port" >/dev/null & pids+=($!)
wait_port "$port"
# Two events, a reconnect after `retry` with Last-Event-ID, then 204: a clean end.
got=$("$cat_bin" --transport sse --plain --linger 10000 "http://127.0.0.1:$port/events" < /dev/null); rc=$?
[ "$rc" -eq 0 ] && [ "$got" == $'hello\nline1\nline2\nresumed from 1' ]; check "switchboard client against a Node http SSE server" $?

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
