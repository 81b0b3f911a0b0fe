#!/usr/bin/env bash
# The command-line examples against each other: switchboard-cat talks to
# switchboard-echo-server; output, exit codes and error lines are checked.
#   cli.sh ECHO_SERVER CAT
set -uo pipefail
server_bin=$1 cat_bin=$2
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port=$(free_port) tls_port=$(free_port)
certs=$(mktemp -d)
bash "$(dirname "$0")/../tls/make_certs.sh" "$certs" > /dev/null
"$server_bin" --port "$port" --cert "$certs/server.pem" --key "$certs/server.key" --tls-port "$tls_port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$certs"' EXIT
for p in $port $tls_port; do
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null && break; sleep 0.05; done
done
url="ws://127.0.0.1:$port/live"
failures=0 passed=0
check() { # name expected actual
  if [ "$2" == "$3" ]; then passed=$((passed + 1)); else failures=$((failures + 1)); printf 'FAIL %s\n--- expected\n%s\n--- got\n%s\n' "$1" "$2" "$3"; fi
}

out=$(printf 'one\ntwo\n' | "$cat_bin" --send zero "$url"); code=$?
check "stdin and --send lines are echoed in order" $'zero\none\ntwo' "$out"
check "exit 0 at end of input once acknowledged" 0 "$code"

out=$("$cat_bin" --json --type chat --send hi "$url" < /dev/null)
check "--json prints one object per event" '{"binary":false,"data":"hi","id":"1","type":"chat"}' "$out"

out=$("$cat_bin" --plain --send raw "$url" < /dev/null)
check "--plain talks plain RFC 6455" "raw" "$out"

http_url="http://127.0.0.1:$port/live"
out=$(printf 'one\ntwo\n' | "$cat_bin" --transport sse --send zero "$http_url"); code=$?
check "--transport sse: echoed in order over SSE and POST" $'zero\none\ntwo' "$out"
check "--transport sse: exit 0 once acknowledged" 0 "$code"

out=$("$cat_bin" --transport sse --json --send 'multi
line' "$http_url" < /dev/null)
check "--transport sse --json keeps a multi-line event whole" '{"binary":false,"data":"multi\nline","id":"1","type":"message"}' "$out"

out=$(printf 'one\n' | "$cat_bin" --transport auto --send zero "$http_url"); code=$?
check "--transport auto (the default): WebSocket first, whatever the URL's scheme" $'zero\none:0' "$out:$code"

err=$("$cat_bin" "ws://127.0.0.1:1/live" < /dev/null 2>&1 >/dev/null); code=$?
check "a refused connection exits 1" 1 "$code"
check "with a one-line error" 1 "$(printf '%s\n' "$err" | wc -l)"

for t in long-polling polling; do
  out=$(printf 'one\ntwo\n' | "$cat_bin" --transport $t --send zero "$http_url"); code=$?
  check "--transport $t: echoed in order over GETs and POSTs" $'zero\none\ntwo:0' "$out:$code"
  err=$("$cat_bin" --transport $t --plain "$http_url" < /dev/null 2>&1 >/dev/null); code=$?
  check "--transport $t --plain is refused clearly" "2:switchboard-cat: $t has no plain mode: it speaks the session protocol only" "$code:$(head -1 <<< "$err")"
done

# TLS: the same round trips over wss:// and https://, the certificate checked against the test CA.
for t in websocket sse long-polling polling; do
  scheme=https; [ $t = websocket ] && scheme=wss
  out=$(printf 'one\n' | "$cat_bin" --transport $t --cacert "$certs/ca.pem" --send zero "$scheme://127.0.0.1:$tls_port/live"); code=$?
  check "--transport $t over $scheme://: echoed in order" $'zero\none:0' "$out:$code"
done
err=$("$cat_bin" --send x "wss://127.0.0.1:$tls_port/live" < /dev/null 2>&1 >/dev/null); code=$?
check "a certificate the system does not trust: exit 1, one line saying so" "1:1:1" "$code:$(printf '%s\n' "$err" | wc -l):$(grep -c "certificate was not accepted" <<< "$err")"
out=$("$cat_bin" --insecure --send unchecked "wss://127.0.0.1:$tls_port/live" < /dev/null); code=$?
check "--insecure skips the check" "unchecked:0" "$out:$code"

"$cat_bin" --bogus "$url" < /dev/null > /dev/null 2>&1; code=$?
check "bad usage exits 2" 2 "$code"

echo "$passed passed, $failures failed"
[ "$failures" -eq 0 ]
