// Headless Chromium driven over the DevTools protocol (with the npm `ws` package): what
// the browser tests and the demo share.
//   const browser = await require('./cdp').launch();
//   const page = await browser.open(url);   // page.eval(js), page.screenshot(file), page.call(method, params)
// Distributed under the Boost Software License, Version 1.0.
'use strict';
const { spawn } = require('child_process');
const fs = require('fs');
const WebSocket = require('ws');

async function launch() {
  const chromium = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage',
    '--hide-scrollbars', '--disable-background-timer-throttling', '--disable-renderer-backgrounding',
    '--disable-backgrounding-occluded-windows', '--remote-debugging-port=0',
    '--user-data-dir=' + fs.mkdtempSync('/tmp/sb-chromium-'), 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'] });
  process.on('exit', () => chromium.kill('SIGKILL'));
  const url = await new Promise((resolve, reject) => {
    let err = '';
    chromium.stderr.on('data', (d) => { err += d; const m = err.match(/DevTools listening on (ws:\/\/\S+)/); if (m) resolve(m[1]); });
    chromium.on('exit', (code) => reject(new Error(`chromium exited (${code}): ${err}`)));
  });
  const cdp = new WebSocket(url);
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
  return {
    // A page (in a window of its own, so that no page is a background tab) at `pageUrl`.
    async open(pageUrl, { width = 1000, height = 560 } = {}) {
      const { targetId } = await send('Target.createTarget', { url: 'about:blank', newWindow: true });
      const { sessionId } = await send('Target.attachToTarget', { targetId, flatten: true });
      const call = (method, params) => send(method, params, sessionId);
      await call('Emulation.setDeviceMetricsOverride', { width, height, deviceScaleFactor: 1, mobile: false });
      await call('Page.navigate', { url: pageUrl });
      return {
        call,
        async eval(expression) {
          const r = await call('Runtime.evaluate', { expression, returnByValue: true, awaitPromise: true });
          if (r.exceptionDetails) throw new Error(r.exceptionDetails.text + ' ' + JSON.stringify(r.exceptionDetails.exception));
          return r.result.value;
        },
        async screenshot(file) {
          const png = await call('Page.captureScreenshot', { format: 'png' });
          fs.writeFileSync(file, Buffer.from(png.data, 'base64'));
        },
        close: () => send('Target.closeTarget', { targetId }),
      };
    },
  };
}

module.exports = { launch };
