// The demo's browser part (.ci/demo): headless Chromium opens the running chat server's
// page once per transport and auto, waits for the session to open, says hello, sees
// the hello come back through the server, and takes a screenshot of each page.
//   node demo_chat.js URL SCREENSHOT_DIR
// Distributed under the Boost Software License, Version 1.0.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const path = require('path');
const WebSocket = require('ws');

const [url, dir] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });
function fail(why) { console.error(`browser: ${why}`); process.exit(1); }
setTimeout(() => fail('timed out'), 60000).unref();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const chromium = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--hide-scrollbars', '--remote-debugging-port=0', '--user-data-dir=' + fs.mkdtempSync('/tmp/sb-chromium-'), 'about:blank'],
{ stdio: ['ignore', 'ignore', 'pipe'] });
process.on('exit', () => chromium.kill('SIGKILL'));
let err = '';
chromium.stderr.on('data', (d) => {
  err += d;
  const m = err.match(/DevTools listening on (ws:\/\/\S+)/);
  if (m && !started) { started = true; drive(m[1]).catch((e) => fail(e.message)); }
});
let started = false;

async function drive(browserUrl) {
  const cdp = new WebSocket(browserUrl);
  await new Promise((resolve, reject) => { cdp.on('open', resolve); cdp.on('error', reject); });
  let id = 0;
  const pending = new Map();
  cdp.on('message', (m) => {
    const msg = JSON.parse(m);
    if (msg.id && pending.has(msg.id)) {
      const { resolve, reject } = pending.get(msg.id);
      pending.delete(msg.id);
      if (msg.error) reject(new Error(msg.error.message)); else resolve(msg.result);
    }
  });
  const send = (method, params = {}, sessionId) => new Promise((resolve, reject) => {
    pending.set(++id, { resolve, reject });
    cdp.send(JSON.stringify({ id, method, params, sessionId }));
  });
  for (const transport of ['websocket', 'sse', 'long-polling', 'polling', 'auto']) {
    const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
    const page = (method, params) => send(method, params, sessionId);
    await page('Emulation.setDeviceMetricsOverride', { width: 1000, height: 560, deviceScaleFactor: 1, mobile: false });
    await page('Page.navigate', { url: `${url}?transport=${transport}&name=browser-${transport}` });
    const evaluate = async (expression) => (await page('Runtime.evaluate', { expression, returnByValue: true })).result.value;
    const hello = `hello from Chromium over ${transport}`;
    let sent = false;
    for (let i = 0; ; ++i) {
      const s = await evaluate(`window.chat && window.chat.client && [window.chat.client.state, window.chat.client.transport,
        [...document.querySelectorAll('#messages li')].some((l) => l.textContent.includes(${JSON.stringify(hello)})),
        /ms/.test(document.getElementById('rtt').textContent)]`).catch(() => null);
      if (s && s[0] === 'open' && !sent) {
        sent = true;
        await evaluate(`window.chat.client.send({ type: 'chat', data: JSON.stringify({ name: 'browser-${transport}', text: ${JSON.stringify(hello)} }) })`);
      }
      if (s && s[2] && s[3]) {
        const shot = path.join(dir, `chat-${transport}.png`);
        const png = await page('Page.captureScreenshot', { format: 'png' });
        fs.writeFileSync(shot, Buffer.from(png.data, 'base64'));
        console.log(`Chromium, ${transport}: open on ${s[1]}, its hello came back; screenshot ${shot}`);
        break;
      }
      if (i > 300) fail(`${transport}: ${JSON.stringify(s)}`);
      await sleep(50);
    }
    await send('Target.closeTarget', { targetId });
  }
  process.exit(0);
}
