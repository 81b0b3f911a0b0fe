// The demo's browser part (.ci/demo): headless Chromium (cdp.js) opens the running chat
// server's page once per transport and auto, waits for the session to open, says
// hello, sees the hello come back through the server, and takes a screenshot of each.
//   node demo_chat.js URL SCREENSHOT_DIR
// Distributed under the Boost Software License, Version 1.0.
'use strict';
const fs = require('fs');
const path = require('path');
const { launch } = require('./cdp');

const [url, dir] = process.argv.slice(2);
fs.mkdirSync(dir, { recursive: true });
function fail(why) { console.error(`browser: ${why}`); process.exit(1); }
setTimeout(() => fail('timed out'), 60000).unref();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const browser = await launch();
  for (const transport of ['websocket', 'sse', 'long-polling', 'polling', 'auto']) {
    const page = await browser.open(`${url}?transport=${transport}&name=browser-${transport}`);
    const hello = `hello from Chromium over ${transport}`;
    let sent = false;
    for (let i = 0; ; ++i) {
      const s = await page.eval(`window.chat && window.chat.client && [window.chat.client.state, window.chat.client.transport,
        [...document.querySelectorAll('#messages li')].some((l) => l.textContent.includes(${JSON.stringify(hello)})),
        /ms/.test(document.getElementById('rtt').textContent)]`).catch(() => null);
      if (s && s[0] === 'open' && !sent) {
        sent = true;
        await page.eval(`window.chat.client.send({ type: 'chat', data: JSON.stringify({ name: 'browser-${transport}', text: ${JSON.stringify(hello)} }) })`);
      }
      if (s && s[2] && s[3]) {
        const shot = path.join(dir, `chat-${transport}.png`);
        await page.screenshot(shot);
        console.log(`Chromium, ${transport}: open on ${s[1]}, its hello came back; screenshot ${shot}`);
        break;
      }
      if (i > 300) fail(`${transport}: ${JSON.stringify(s)}`);
      await sleep(50);
    }
    await page.close();
  }
  process.exit(0);
}
main().catch((e) => fail(e.stack || e.message));
