// Interop peer on the npm `ws` package.
//   node ws_peer.js client URL   sends text and binary messages, expects each echoed intact
//   node ws_peer.js server PORT  echoes every message (text stays text, binary binary)
'use strict';
const WebSocket = require('ws');
const [mode, arg] = process.argv.slice(2);

if (mode === 'server') {
  const wss = new WebSocket.WebSocketServer({ host: '127.0.0.1', port: Number(arg) });
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  wss.on('listening', () => console.log('ready'));
} else {
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
  const expected = [['text', 'héllo wörld'], ['binary', binary]];
  for (let i = 0; i < 50; i++) expected.push(['text', `message ${i}`]);
  expected.push(['text', 'x'.repeat(100000)]);
  const ws = new WebSocket(arg);
  const timer = setTimeout(() => { console.error('ws client: timed out'); process.exit(1); }, 10000);
  let next = 0;
  ws.on('open', () => expected.forEach(([kind, data]) => ws.send(data, { binary: kind === 'binary' })));
  ws.on('message', (data, isBinary) => {
    const [kind, want] = expected[next];
    const ok = isBinary === (kind === 'binary') && Buffer.compare(Buffer.from(data), Buffer.from(want)) === 0;
    if (!ok) { console.error(`ws client: message ${next} differs`); process.exit(1); }
    if (++next === expected.length) { clearTimeout(timer); ws.close(1000); }
  });
  ws.on('close', (code) => process.exit(next === expected.length && code === 1000 ? 0 : 1));
  ws.on('error', (e) => { console.error('ws client:', e.message); process.exit(1); });
}
