// The Node peer of switchboard's WebSocket benchmark: the `ws` package.
//   NODE_PATH=tests/node/node_modules node tests/bench/ws_server.js PORT echo|fanout
// echo: each message goes back to its sender; fanout: each message goes to every
// connection (one encoded frame, ws.send per client).
'use strict';
const { WebSocketServer } = require('ws');
const port = Number(process.argv[2]);
const mode = process.argv[3] || 'echo';
const wss = new WebSocketServer({ host: '127.0.0.1', port, perMessageDeflate: false, clientTracking: true });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => {
    if (mode === 'echo') return ws.send(data, { binary: isBinary });
    for (const c of wss.clients) c.send(data, { binary: isBinary });
  });
});
wss.on('listening', () => console.log('ready'));
