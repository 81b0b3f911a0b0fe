// The demo page of switchboard-embedded in a real browser (headless Chromium, driven
// over the DevTools protocol with the npm `ws` package): its plain EventSource and its
// plain WebSocket both open on /live, and what the WebSocket sends arrives on both.
//   node demo.js URL SCREENSHOT.png
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const WebSocket = require('ws');
const [url, screenshot] = process.argv.slice(2);

function fail(why) { console.error(`browser demo: ${why}`); process.exit(1); }
setTimeout(() => fail('timed out'), 30000);

const chromium = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
  '--hide-scrollbars', '--remote-debugging-port=0', '--user-data-dir=' + fs.mkdtempSync('/tmp/sb-chromium-'), 'about:blank'],
{ stdio: ['ignore', 'ignore', 'pipe'] });
process.on('exit', () => chromium.kill('SIGKILL'));
let stderr = '';
chromium.stderr.on('data', (d) => {
  stderr += d;
  const m = stderr.match(/DevTools listening on (ws:\/\/\S+)/);
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
  const { targetId } = await send('Target.createTarget', { url: 'about:blank' });
  const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
  const page = (method, params) => send(method, params, sessionId);
  await page('Emulation.setDeviceMetricsOverride', { width: 1000, height: 520, deviceScaleFactor: 1, mobile: false });
  await page('Page.navigate', { url });
  const evaluate = async (expression) => (await page('Runtime.evaluate', { expression, returnByValue: true })).result.value;
  const lists = `({ sse: [...document.querySelectorAll('#sse li')].map((e) => e.textContent),
                   ws: [...document.querySelectorAll('#ws li')].map((e) => e.textContent),
                   states: [...document.querySelectorAll('.state')].map((e) => e.textContent) })`;
  let got;
  for (;;) {
    got = await evaluate(lists).catch(() => null);
    if (got && got.sse.length >= 1 && got.ws.length >= 1) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const png = await page('Page.captureScreenshot', { format: 'png' });
  fs.writeFileSync(screenshot, Buffer.from(png.data, 'base64'));
  if (got.sse[0] !== 'hello from the browser' || got.ws[0] !== 'hello from the browser') fail(JSON.stringify(got));
  if (got.states.join() !== 'open,open') fail(`states ${got.states}`);
  console.log(`EventSource and WebSocket both received "${got.sse[0]}"; screenshot: ${screenshot}`);
  process.exit(0);
}
