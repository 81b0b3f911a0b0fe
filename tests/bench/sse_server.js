// The Node peer of switchboard's SSE benchmark: a minimal http SSE server.
//   node tests/bench/sse_server.js PORT
// A GET with Accept: text/event-stream subscribes; each line of a POST's body goes to
// every subscriber as one `data:` event (one res.write per event and subscriber, as
// minimal SSE servers do).
'use strict';
const http = require('http');
const port = Number(process.argv[2]);
const subscribers = new Set();
http.createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', 'X-Accel-Buffering': 'no' });
    res.write('retry: 1000\n\n');
    subscribers.add(res);
    req.on('close', () => subscribers.delete(res));
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    for (const line of Buffer.concat(chunks).toString().split('\n')) {
      const event = `data: ${line}\n\n`;
      for (const s of subscribers) s.write(event);
    }
    res.writeHead(200, { 'Content-Length': '0' });
    res.end();
  });
}).listen(port, '127.0.0.1', () => console.log('ready'));
