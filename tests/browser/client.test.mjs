// Unit tests of the browser client's protocol logic (include/switchboard/browser/switchboard.js),
// under Node: `node --test tests/browser/`. The frame, body and welcome vectors are the
// C++ unit tests' (tests/vectors/protocol.json): both readers are held to the same bytes.
// Distributed under the Boost Software License, Version 1.0.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  parseFrame, encodeEvent, encodeBody, decodeBody, parseWelcome, EventStreamParser, frameOfStreamEvent,
  InboundSequencer, ReplayWindow, Client, SwitchboardError,
} from '../../include/switchboard/browser/switchboard.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/protocol.json', import.meta.url), 'utf8'));
const enc = new TextEncoder();
const unhex = (h) => Uint8Array.from(h.match(/../g) || [], (x) => parseInt(x, 16));
const bytesOf = (v, name) => (v[`${name}_hex`] !== undefined ? unhex(v[`${name}_hex`]) : enc.encode(v[name]));

test('every shared frame vector reads as the vectors say, from text and from bytes', () => {
  for (const v of vectors.frames) {
    const wire = bytesOf(v, 'wire');
    const inputs = v.wire !== undefined ? [v.wire, wire] : [wire];
    for (const input of inputs) {
      const f = parseFrame(input);
      const want = v.frame;
      if (want === null) { assert.equal(f, null, `${JSON.stringify(v.wire)} must be refused`); continue; }
      assert.ok(f, `${JSON.stringify(v.wire ?? v.wire_hex)} must be read`);
      assert.equal(f.kind, want.kind);
      if (want.kind === 'event') {
        assert.equal(f.seq, want.seq);
        assert.equal(f.binary, want.binary);
        assert.equal(f.type, want.type);
        if (want.binary) assert.deepEqual(f.data, unhex(want.data_hex));
        else assert.equal(f.data, want.data);
        if (f.type === want.type && want.type !== 'message') {
          const back = encodeEvent(f.seq, f);
          assert.deepEqual(typeof back === 'string' ? enc.encode(back) : back, wire);
        }
      } else if (want.kind === 'ack') assert.equal(f.seq, want.seq);
      else if (want.kind === 'gap') assert.deepEqual([f.first, f.last], [want.first, want.last]);
      else if (want.kind === 'close') assert.deepEqual([f.code, f.reason], [want.code, want.reason]);
      else if (want.kind === 'welcome') assert.equal(f.body, want.body);
    }
  }
});

test('every shared POST body vector splits into its frames, or is refused', () => {
  for (const v of vectors.bodies) {
    const body = bytesOf(v, 'body');
    const got = decodeBody(body);
    const want = v.frames_hex ? v.frames_hex.map(unhex) : v.frames && v.frames.map((f) => enc.encode(f));
    if (!want) { assert.equal(got, null, `${v.body} must be refused`); continue; }
    assert.deepEqual(got.map((f) => Uint8Array.from(f)), want);
    assert.deepEqual(encodeBody(want), body);
  }
});

test('every shared welcome vector is accepted or refused as the vectors say', () => {
  for (const v of vectors.welcomes) assert.equal(parseWelcome(v.body) !== null, v.valid, v.body);
});

test('the event stream parser reads WHATWG event streams in any pieces', () => {
  const stream = 'retry: 20\r\n: a comment\r\nid: tok-1\r\nevent: chat\r\ndata: one\r\ndata: two\r\n\r\n' +
    'data:no space\n\nid: tok-2e\ndata: aGk=\n\n:more\nevent: switchboard\ndata: A5\n\n';
  const whole = [];
  const comments = [];
  const p = new EventStreamParser((e) => whole.push(e), (c) => comments.push(c));
  p.feed(stream);
  assert.deepEqual(whole, [
    { id: 'tok-1', event: 'chat', data: 'one\ntwo' },
    { id: null, event: 'message', data: 'no space' }, // (the block's own id: see the parser)
    { id: 'tok-2e', event: 'message', data: 'aGk=' },
    { id: null, event: 'switchboard', data: 'A5' },
  ]);
  assert.deepEqual(comments, [' a comment', 'more']);
  for (let size = 1; size <= 7; ++size) { // every split, CRLFs cut in two included
    const pieces = [];
    const q = new EventStreamParser((e) => pieces.push(e));
    for (let i = 0; i < stream.length; i += size) q.feed(stream.slice(i, i + size));
    assert.deepEqual(pieces, whole, `pieces of ${size}`);
  }
});

test('stream events become frames: numbers and flags from the id, control frames from their type', () => {
  assert.deepEqual(frameOfStreamEvent({ id: 'tok-7', event: 'chat', data: 'hi' }),
    { kind: 'event', seq: 7, binary: false, type: 'chat', data: 'hi' });
  assert.deepEqual(frameOfStreamEvent({ id: 'tok-8b', event: 'message', data: 'AP8=' }),
    { kind: 'event', seq: 8, binary: true, type: 'message', data: Uint8Array.of(0, 255) });
  assert.deepEqual(frameOfStreamEvent({ id: 'tok-9e', event: 'message', data: 'YQ1i' }),
    { kind: 'event', seq: 9, binary: false, type: 'message', data: 'a\rb' });
  assert.deepEqual(frameOfStreamEvent({ id: null, event: 'switchboard', data: 'G2 4' }), { kind: 'gap', first: 2, last: 4 });
  assert.equal(frameOfStreamEvent({ id: null, event: 'switchboard', data: 'E1 t x\ny' }), null); // (never an event)
  assert.equal(frameOfStreamEvent({ id: 'tok-0', event: 'message', data: '' }), null);
  assert.equal(frameOfStreamEvent({ id: 'tok-x', event: 'message', data: '' }), null);
  assert.equal(frameOfStreamEvent({ id: 'tok-3b', event: 'message', data: '!!' }), null); // not base64
});

test('the inbound sequencer delivers each number once, in order, and names what it skipped', () => {
  const s = new InboundSequencer();
  assert.deepEqual(s.accept(1), { deliver: true, missed: null });
  assert.deepEqual(s.accept(1), { deliver: false, missed: null }); // a replay
  assert.deepEqual(s.accept(4), { deliver: true, missed: [2, 3] });
  assert.deepEqual(s.skip(3, 6), [5, 6]); // only what was not delivered
  assert.equal(s.skip(2, 5), null);
  assert.equal(s.last, 6);
});

test('the replay window keeps what is not acknowledged and refuses an ack of nothing sent', () => {
  const w = new ReplayWindow();
  assert.equal(w.push('a', 1), 1);
  assert.equal(w.push('bb', 2), 2);
  assert.equal(w.push('ccc', 3), 3);
  assert.equal(w.bytes, 6);
  assert.ok(w.acknowledge(2));
  assert.deepEqual(w.items.map((i) => i.ev), ['ccc']);
  assert.equal(w.bytes, 3);
  assert.ok(!w.acknowledge(4));
  assert.ok(w.acknowledge(0));
});

test('send checks events before queueing them', () => {
  const c = new Client('http://127.0.0.1:1/live', { maxMessageSize: 4, maxQueuedEvents: 2 });
  assert.throws(() => c.send({ type: 'switchboard', data: 'x' }), (e) => e instanceof SwitchboardError && e.code === 'invalid_event');
  assert.throws(() => c.send({ type: 'a\nb', data: 'x' }), (e) => e.code === 'invalid_event');
  assert.throws(() => c.send('12345'), (e) => e.code === 'message_too_big');
  assert.equal(c.send('1234'), 1);
  assert.equal(c.send({ data: new Uint8Array([1, 2]) }), 2);
  assert.throws(() => c.send('x'), (e) => e.code === 'queue_full');
  assert.throws(() => new Client('http://x/live', { transports: ['carrier-pigeon'] }), (e) => e.code === 'invalid_argument');
});

test('the TypeScript declarations name exactly what the module exports', async () => {
  const mod = await import('../../include/switchboard/browser/switchboard.js');
  const dts = readFileSync(new URL('../../include/switchboard/browser/switchboard.d.ts', import.meta.url), 'utf8');
  const declared = [...dts.matchAll(/^export declare (?:class|function|const) (\w+)/gm)].map((m) => m[1]).sort();
  assert.deepEqual(declared, Object.keys(mod).sort());
});
