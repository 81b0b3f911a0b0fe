// The browser client (include/switchboard/browser/switchboard.js) under Node against the
// echo server, over each transport and auto: echoes in order (binary included), a drop
// that resumes with every event exactly once, and a clean close. Node has fetch; the
// npm `ws` package stands in for the browser's WebSocket. (tests/browser/run.sh drives
// the same module in Chromium.)
//   node node_transports.mjs ECHO_SERVER_BINARY
// Distributed under the Boost Software License, Version 1.0.
import { spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Client } from '../../include/switchboard/browser/switchboard.js';

const require = createRequire(new URL('../node/', import.meta.url));
globalThis.WebSocket = require('ws');
const fail = (why) => { console.error(`node transports: ${why}`); process.exit(1); };
setTimeout(() => fail('timed out'), 60000).unref();

const port = await new Promise((resolve) => {
  const s = createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
});
const server = spawn(process.argv[2], ['--port', String(port), '--threads', '2'], { stdio: 'ignore' });
process.on('exit', () => server.kill());
const url = `http://127.0.0.1:${port}/live`;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
for (let i = 0; ; ++i) {
  try { if ((await fetch(`${url}/switchboard.js`)).ok) break; } catch { /* not up yet */ }
  if (i > 100) fail('the echo server did not start');
  await sleep(50);
}

async function until(what, ok, ms = 10000) {
  const t0 = Date.now();
  while (!ok()) { if (Date.now() - t0 > ms) fail(`waited for ${what}`); await sleep(10); }
}

for (const transports of [['websocket'], ['sse'], ['long-polling'], ['polling'], undefined]) {
  const name = transports ? transports[0] : 'auto';
  const c = new Client(url, { transports, pollInterval: 50, reconnect: { initialDelay: 20 } });
  const got = [];
  const states = [];
  c.on('event', (e) => got.push(e)).on('state', (s) => states.push(s)).on('gap', (g) => fail(`${name}: gap ${JSON.stringify(g)}`));
  await c.connect();
  if (c.transport !== (transports ? name : 'websocket')) fail(`${name}: on ${c.transport}`);
  for (let i = 1; i <= 20; ++i) c.send({ type: 'echo', data: `m${i}` });
  c.send({ type: 'echo', data: new Uint8Array([0, 255, 13, 10]) });
  await until(`${name}: 21 echoes`, () => got.length >= 21);
  c.drop(); // sends while reconnecting go out once it resumes
  for (let i = 21; i <= 30; ++i) c.send({ type: 'echo', data: `m${i}` });
  await until(`${name}: 31 echoes`, () => got.length >= 31);
  await sleep(100); // (nothing more may come)
  const texts = got.filter((e) => !e.binary).map((e) => e.data);
  const want = Array.from({ length: 30 }, (_, i) => `m${i + 1}`);
  if (JSON.stringify(texts) !== JSON.stringify(want)) fail(`${name}: ${JSON.stringify(texts)}`);
  const bin = got.find((e) => e.binary);
  if (!bin || bin.type !== 'echo' || bin.data.join() !== '0,255,13,10') fail(`${name}: binary ${JSON.stringify(bin)}`);
  if (got.map((e) => e.id).join() !== Array.from({ length: 31 }, (_, i) => i + 1).join()) fail(`${name}: ids`);
  if (!states.includes('reconnecting') || states.at(-1) !== 'open') fail(`${name}: states ${states}`);
  await c.close();
  if (c.state !== 'closed') fail(`${name}: ${c.state} after close`);
  console.log(`${name}: 31 echoes in order, exactly once across a drop; states ${states.join(' > ')}`);
}

// A held poll cut while its session's POST is on its way, as a browser sees it: the
// browser sends the poll again on a new connection (it was a GET, and no answer had
// come), the server takes that for a resume and rotates the token, and the POST, sent
// with the old token and slowed down, arrives after the new one was confirmed: 404.
// The events it carried must still go out, once.
{
  const sockets = new Set();
  let slowPosts = 0;
  const proxy = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); }
    client.on('data', (d) => {
      if (slowPosts && d.toString('latin1').startsWith('POST')) setTimeout(() => upstream.write(d), slowPosts);
      else upstream.write(d);
    });
    upstream.on('data', (d) => client.write(d));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise((r) => proxy.listen(0, '127.0.0.1', r));
  const realFetch = globalThis.fetch;
  globalThis.fetch = async (u, init = {}) => { // a browser's retry of a GET that got no answer
    try { return await realFetch(u, init); } catch (e) {
      if ((init.method || 'GET') !== 'GET' || !String(u).includes('poll=1') || (init.signal && init.signal.aborted)) throw e;
      await sleep(200); // (the server notices the cut connection first)
      return realFetch(u, init);
    }
  };
  const c = new Client(`http://127.0.0.1:${proxy.address().port}/live`, { transports: ['long-polling'], pollInterval: 50 });
  const got = [];
  c.on('event', (e) => got.push(e.data));
  await c.connect();
  for (let i = 1; i <= 5; ++i) c.send({ type: 'echo', data: `r${i}` });
  await until('5 echoes before the cut', () => got.length >= 5);
  await sleep(100); // (the next poll is held)
  slowPosts = 600;
  for (const s of sockets) s.destroy();
  await sleep(50); // (the POST goes on a new connection, slowly; the poll is sent again meanwhile)
  for (let i = 6; i <= 10; ++i) c.send({ type: 'echo', data: `r${i}` });
  await until('10 echoes after the cut', () => got.length >= 10);
  await sleep(200);
  const want = Array.from({ length: 10 }, (_, i) => `r${i + 1}`);
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(`a POST with a rotated token: ${JSON.stringify(got)}`);
  console.log('long-polling: a poll sent again after a cut rotated the token under a slow POST; its events went out once');
  globalThis.fetch = realFetch;
  await c.close();
  proxy.close();
}

// README's browser example, as written (its import and URL pointed here).
const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const example = /```js\n([\s\S]*?)```/.exec(readme)[1]
  .replace(`'/live/switchboard.js'`, JSON.stringify(new URL('../../include/switchboard/browser/switchboard.js', import.meta.url).href))
  .replace(`new Client('/live')`, `new Client(${JSON.stringify(url)})`);
const file = join(mkdtempSync(join(tmpdir(), 'sb-readme-')), 'example.mjs');
writeFileSync(file, example);
const logged = [];
const log = console.log;
console.log = (...a) => logged.push(a.join(' '));
await import(pathToFileURL(file).href);
await until('the README example\'s echoes', () => logged.some((l) => l === 'echo hello 1') && logged.some((l) => l === 'echo 1,2,3 2'));
console.log = log;
console.log(`README example: ${logged.join(' | ')}`);
process.exit(0);
