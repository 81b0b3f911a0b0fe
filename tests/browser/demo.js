// The demo page of switchboard-embedded in a real browser (headless Chromium, cdp.js):
// its plain EventSource and its plain WebSocket both open on /live, and what the
// WebSocket sends arrives on both.
//   node demo.js URL SCREENSHOT.png
// Distributed under the Boost Software License, Version 1.0.
'use strict';
const { launch } = require('./cdp');
const [url, screenshot] = process.argv.slice(2);

function fail(why) { console.error(`browser demo: ${why}`); process.exit(1); }
setTimeout(() => fail('timed out'), 30000).unref();

async function main() {
  const page = await (await launch()).open(url, { height: 520 });
  const lists = `({ sse: [...document.querySelectorAll('#sse li')].map((e) => e.textContent),
                   ws: [...document.querySelectorAll('#ws li')].map((e) => e.textContent),
                   states: [...document.querySelectorAll('.state')].map((e) => e.textContent) })`;
  let got;
  for (;;) {
    got = await page.eval(lists).catch(() => null);
    if (got && got.sse.length >= 1 && got.ws.length >= 1) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await page.screenshot(screenshot);
  if (got.sse[0] !== 'hello from the browser' || got.ws[0] !== 'hello from the browser') fail(JSON.stringify(got));
  if (got.states.join() !== 'open,open') fail(`states ${got.states}`);
  console.log(`EventSource and WebSocket both received "${got.sse[0]}"; screenshot: ${screenshot}`);
  process.exit(0);
}
main().catch((e) => fail(e.stack || e.message));
