// The chat example in a real browser (headless Chromium over the DevTools protocol):
// for each transport and for auto, two pages exchange messages through the chat
// server; every connection is cut (by the TCP proxy the pages go through) while
// messages are on their way, and both sessions resume with every message exactly once
// and in order. Then a page behind a proxy that refuses WebSocket upgrades falls back
// (auto) and still chats. A screenshot of each run is left in the artifacts directory.
//   node chat.js CHAT_SERVER_BINARY ARTIFACTS_DIR
// Distributed under the Boost Software License, Version 1.0.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const net = require('net');
const path = require('path');
const { launch } = require('./cdp');

const [server_bin, artifacts] = process.argv.slice(2);
fs.mkdirSync(artifacts, { recursive: true });
function fail(why) { console.error(`browser chat: ${why}`); process.exit(1); }
setTimeout(() => fail('timed out'), 150000).unref();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const children = [];
process.on('exit', () => { for (const c of children) c.kill('SIGKILL'); });

// A TCP proxy in front of the chat server: `cut()` ends every connection through it at
// once (both directions, as a network failure would); with `refuseUpgrades` it answers
// WebSocket upgrades with 403, as some corporate proxies do.
function proxy(to, refuseUpgrades) {
  const sockets = new Set();
  const server = net.createServer((client) => {
    const upstream = net.connect(to, '127.0.0.1');
    for (const s of [client, upstream]) { sockets.add(s); s.on('close', () => sockets.delete(s)); s.on('error', () => {}); }
    client.on('data', (d) => {
      if (refuseUpgrades && /^upgrade:\s*websocket/im.test(d.toString('latin1'))) {
        client.end('HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
        return upstream.destroy();
      }
      upstream.write(d);
    });
    upstream.on('data', (d) => client.write(d));
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port,
    cut() { for (const s of sockets) s.destroy(); },
  })));
}

async function freePort() {
  return new Promise((resolve) => { const s = net.createServer().listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); }); });
}

// A page of `browser` with a wait for a condition.
async function open(browser, pageUrl) {
  const page = await browser.open(pageUrl);
  page.until = async (what, expression, ms = 20000) => {
    const t0 = Date.now();
    for (;;) {
      const v = await page.eval(expression).catch(() => null);
      if (v) return v;
      if (Date.now() - t0 > ms) fail(`waited for ${what}: ${await page.eval('document.body && document.body.innerText').catch(() => '?')}`);
      await sleep(50);
    }
  };
  return page;
}

const said = (prefix) => `[...document.querySelectorAll('#messages li')].map((l) => l.children[2] && l.children[2].textContent)
  .filter((t) => t && t.startsWith(${JSON.stringify(prefix)}))`;
const say = (text) => `window.chat.client.send({ type: 'chat', data: JSON.stringify({ name: document.getElementById('name').value, text: ${JSON.stringify(text)} }) })`;

async function main() {
  const port = await freePort();
  const server = spawn(server_bin, ['--port', String(port)], { stdio: ['ignore', 'ignore', 'inherit'] });
  children.push(server);
  for (let i = 0; ; ++i) {
    if (await new Promise((r) => { const s = net.connect(port, '127.0.0.1', () => { s.end(); r(true); }); s.on('error', () => r(false)); })) break;
    if (i > 100) fail('the chat server did not start');
    await sleep(50);
  }
  const browser = await launch();
  for (const transport of ['websocket', 'sse', 'long-polling', 'polling', 'auto']) {
    const via = await proxy(port, false);
    const base = `http://127.0.0.1:${via.port}/?transport=${transport}`;
    const alice = await open(browser, `${base}&name=alice`);
    const bob = await open(browser, `${base}&name=bob`);
    const expected = transport === 'auto' ? 'websocket' : transport;
    for (const p of [alice, bob])
      await p.until(`${transport} open`, `window.chat && window.chat.client && window.chat.client.state === 'open' && window.chat.client.transport === ${JSON.stringify(expected)}`);
    const want = [];
    for (let i = 1; i <= 5; ++i) { want.push(`${transport} ${i}`); await alice.eval(say(`${transport} ${i}`)); }
    await bob.until(`${transport}: bob has 5`, `${said(transport + ' ')}.length >= 5`);
    via.cut(); // every connection of both pages, at once
    for (let i = 6; i <= 10; ++i) { want.push(`${transport} ${i}`); await alice.eval(say(`${transport} ${i}`)); }
    await bob.until(`${transport}: bob has 10 after the cut`, `${said(transport + ' ')}.length >= 10`);
    await alice.until(`${transport}: alice has 10`, `${said(transport + ' ')}.length >= 10`);
    await sleep(300); // (a duplicate would show by now)
    for (const [who, p] of [['alice', alice], ['bob', bob]]) {
      const got = await p.eval(said(transport + ' '));
      if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${transport}: ${who} saw ${JSON.stringify(got)}`);
      const resumes = await p.eval(`+document.getElementById('resumes').textContent`);
      // (A stream's cut is seen; a cut poll or POST may be retried by the browser on a
      // new connection, unseen: the messages above are what counts.)
      if (resumes < 1 && (expected === 'websocket' || expected === 'sse')) fail(`${transport}: ${who} did not notice the cut`);
      const gaps = await p.eval(`+document.getElementById('gaps').textContent`);
      if (gaps !== 0) fail(`${transport}: ${who} reported gaps`);
    }
    await bob.until(`${transport}: round trip shown`, `/ms/.test(document.getElementById('rtt').textContent)`);
    const shot = path.join(artifacts, `chat-${transport}.png`);
    await bob.screenshot(shot);
    console.log(`${transport}: 10 messages from alice to bob exactly once and in order across a cut; screenshot ${shot}`);
    await alice.close();
    await bob.close();
  }
  // A page that goes offline (DevTools network emulation) while messages are sent to
  // it resumes when it is back online, with every message once.
  {
    const alice = await open(browser, `http://127.0.0.1:${port}/?transport=auto&name=erin`);
    const bob = await open(browser, `http://127.0.0.1:${port}/?transport=auto&name=frank`);
    for (const p of [alice, bob]) await p.until('open', `window.chat && window.chat.client && window.chat.client.state === 'open'`);
    await bob.call('Network.enable');
    await bob.call('Network.emulateNetworkConditions', { offline: true, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await bob.until('bob offline', `window.chat.client.state === 'reconnecting'`);
    const want = [];
    for (let i = 1; i <= 5; ++i) { want.push(`offline ${i}`); await alice.eval(say(`offline ${i}`)); }
    await sleep(300);
    await bob.call('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
    await bob.until('bob back with 5', `window.chat.client.state === 'open' && ${said('offline ')}.length >= 5`);
    await sleep(300);
    const got = await bob.eval(said('offline '));
    if (JSON.stringify(got) !== JSON.stringify(want)) fail(`offline: bob saw ${JSON.stringify(got)}`);
    console.log('a page offline while 5 messages were sent to it resumed online with each once, in order');
    await alice.close();
    await bob.close();
  }
  // Behind a proxy that refuses WebSocket upgrades, auto falls back and chats.
  const strict = await proxy(port, true);
  const direct = await open(browser, `http://127.0.0.1:${port}/?transport=auto&name=carol`);
  const behind = await open(browser, `http://127.0.0.1:${strict.port}/?transport=auto&name=dave`);
  await behind.until('a fallback from WebSocket', `window.chat.client.state === 'open' && window.chat.client.transport !== 'websocket'`);
  const fellTo = await behind.eval('window.chat.client.transport');
  await direct.until('carol open', `window.chat.client.state === 'open'`);
  await behind.eval(say('fallback hello'));
  await direct.until('carol hears dave', `${said('fallback hello')}.length === 1`);
  await direct.eval(say('fallback reply'));
  await behind.until('dave hears carol', `${said('fallback reply')}.length === 1`);
  await behind.until('round trip shown', `/ms/.test(document.getElementById('rtt').textContent)`);
  const shot = path.join(artifacts, 'chat-fallback.png');
  await behind.screenshot(shot);
  console.log(`behind a proxy refusing WebSocket upgrades, auto fell back to ${fellTo} and chats; screenshot ${shot}`);
  process.exit(0);
}
main().catch((e) => fail(e.stack || e.message));
