#!/usr/bin/env bash
# The demo page of switchboard-embedded in headless Chromium (tests/browser/demo.js).
#   run.sh EMBEDDED_BIN [SCREENSHOT.png]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$1 shot=${2:-${TMPDIR:-/tmp}/switchboard-demo.png}
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin" --port "$port" 2>/dev/null &
server=$!
trap 'kill $server 2>/dev/null' EXIT
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.05; done
NODE_PATH="$here/../node/node_modules" node "$here/demo.js" "http://127.0.0.1:$port/" "$shot"
