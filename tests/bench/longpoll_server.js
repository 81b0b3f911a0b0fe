// The Node peer of switchboard's long-polling fan-out benchmark: a minimal http
// long-polling server, no framework. It keeps the last 1,024 events with sequence
// numbers; GET /live?last=N is answered with every event after N (`id:`/`data:` lines,
// as switchboard frames them), or held until one is published (25 s at most, then
// empty); each line of a POST's body is published to every held GET.
//   node tests/bench/longpoll_server.js PORT
'use strict';
const http = require('http');
const port = Number(process.argv[2]);
const keep = 1024;
let events = []; // [seq, text]
let seq = 0;
let held = new Set();

function pending(last) {
  let body = '';
  for (const [n, text] of events) if (n > last) body += `id: ${n}\ndata: ${text}\n\n`;
  return body;
}

function answer(res, body) {
  res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
  res.end(body);
}

http.createServer((req, res) => {
  if (req.method === 'GET') {
    const last = Number(new URL(req.url, 'http://x').searchParams.get('last') || 0);
    const body = pending(last);
    if (body) return answer(res, body);
    const waiter = { last, res, timer: setTimeout(() => { held.delete(waiter); answer(res, ''); }, 25000) };
    held.add(waiter);
    res.on('close', () => { clearTimeout(waiter.timer); held.delete(waiter); });
    return;
  }
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    for (const line of Buffer.concat(chunks).toString().split('\n')) {
      events.push([++seq, line]);
      if (events.length > keep) events.shift();
    }
    const waiting = held;
    held = new Set();
    for (const w of waiting) {
      clearTimeout(w.timer);
      answer(w.res, pending(w.last));
    }
    res.writeHead(200, { 'Content-Length': '0' });
    res.end();
  });
}).listen(port, '127.0.0.1', () => console.log('ready'));
