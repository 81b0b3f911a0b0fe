// Interop peer for SSE, on the npm `eventsource` package and Node's http module.
//   node sse_peer.js client URL   reads the switchboard server with EventSource: plain
//                                 mode, session mode (upstream by fetch POST), binary
//                                 events, and a native resume with Last-Event-ID
//   node sse_peer.js server PORT  a minimal Node http SSE server: two events, then the
//                                 stream ends; a reconnect with Last-Event-ID is told
//                                 where it resumed; the third request gets 204 (stop)
'use strict';
const http = require('http');
const { EventSource } = require('eventsource');
const [mode, arg] = process.argv.slice(2);

function fail(why) { console.error(`sse peer: ${why}`); process.exit(1); }

if (mode === 'server') {
  let requests = 0;
  http.createServer((req, res) => {
    requests += 1;
    if (requests >= 3) { res.writeHead(204); return res.end(); }
    res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
    if (requests === 1) {
      res.write('retry: 100\n\n');
      res.write('id: 1\nevent: greet\ndata: hello\n\n');
      res.write(': a comment\ndata: line1\ndata: line2\n\n');
    } else {
      res.write(`data: resumed from ${req.headers['last-event-id']}\n\n`);
    }
    res.end();
  }).listen(Number(arg), '127.0.0.1', () => console.log('ready'));
} else {
  const base = arg;
  setTimeout(() => fail('timed out'), 15000);
  const framed = (frames) => Buffer.concat(frames.map((f) => {
    const b = Buffer.isBuffer(f) ? f : Buffer.from(f);
    return Buffer.concat([Buffer.from(`${b.length}:`), b]);
  }));
  const binary = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

  // Plain mode: a browser's `new EventSource(url)`; the echo server publishes
  // "broadcast" events to every session, plain ones included.
  const plain = new EventSource(base);
  const plainGot = new Promise((resolve) => plain.addEventListener('broadcast', (e) => resolve(e.data)));
  const plainOpen = new Promise((resolve) => { plain.onopen = resolve; });

  // Session mode.
  const got = [];
  let token = null;
  let lastId = '';
  let welcome = null;
  const session = new EventSource(`${base}?sb=1`);
  const welcomed = new Promise((resolve) => session.addEventListener('switchboard', (e) => {
    if (e.data[0] !== 'W') return;
    welcome = JSON.parse(e.data.slice(1));
    token = welcome.token;
    resolve();
  }));
  session.addEventListener('echo', (e) => { got.push(e); lastId = e.lastEventId; });

  const post = async (frames) => {
    const res = await fetch(`${base}?sb=1&token=${token}`, { method: 'POST', body: framed(frames) });
    if (res.status !== 200) fail(`POST answered ${res.status}`);
    return Buffer.from(await res.arrayBuffer()).toString();
  };
  const until = async (pred) => { while (!pred()) await new Promise((r) => setTimeout(r, 10)); };

  (async () => {
    await Promise.all([welcomed, plainOpen]);
    const frames = ['E1 t echo\nhéllo wörld', Buffer.concat([Buffer.from('E2 b echo\n'), binary])];
    for (let i = 3; i <= 52; i++) frames.push(`E${i} t echo\nmessage ${i}`);
    frames.push('E53 t broadcast\nto everyone');
    const ack = await post(frames);
    if (ack !== '3:A53') fail(`acknowledgement ${JSON.stringify(ack)}`);
    await until(() => got.length >= 52);
    if (got[0].data !== 'héllo wörld' || got[0].lastEventId !== `${token}-1`) fail('text event differs');
    if (got[1].lastEventId !== `${token}-2b`) fail(`binary event id ${got[1].lastEventId}`);
    if (Buffer.compare(Buffer.from(got[1].data, 'base64'), binary) !== 0) fail('binary event differs');
    for (let i = 3; i <= 52; i++) if (got[i - 1].data !== `message ${i}`) fail(`event ${i} differs`);
    if (await plainGot !== 'to everyone') fail('plain mode missed the broadcast');

    // Away: the session keeps what is sent meanwhile, and EventSource's own resume
    // (Last-Event-ID) gets exactly that.
    session.close();
    await post(['E54 t echo\nwhile away']);
    const resumed = new EventSource(`${base}?sb=1`, {
      fetch: (url, init) => fetch(url, { ...init, headers: { ...init.headers, 'Last-Event-ID': lastId } }),
    });
    const after = [];
    resumed.addEventListener('echo', (e) => after.push(e.data));
    const resumedWelcome = new Promise((resolve) => resumed.addEventListener('switchboard', (e) => {
      if (e.data[0] === 'W') resolve(JSON.parse(e.data.slice(1)));
    }));
    const w = await resumedWelcome;
    // Resumed, under a new token: the one the resume came with is void.
    if (!w.resumed || w.token === token) fail('not resumed with a new token');
    await until(() => after.length >= 1);
    await new Promise((r) => setTimeout(r, 100)); // a duplicate would have come by now
    if (after.length !== 1 || after[0] !== 'while away') fail(`after resume: ${JSON.stringify(after)}`);
    resumed.close();
    plain.close();
    process.exit(0);
  })().catch((e) => fail(e.message));
}
