// Generated from switchboard.js by cmake/embed_browser_client.cmake: do not edit.
// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.
// (See accompanying file LICENSE or copy at http://www.boost.org/LICENSE_1_0.txt)
#ifndef SWITCHBOARD_BROWSER_SCRIPT_HPP
#define SWITCHBOARD_BROWSER_SCRIPT_HPP

#include <string_view>

namespace switchboard::browser {

/// The browser client, include/switchboard/browser/switchboard.js, as the server serves
/// it at `<path>/switchboard.js` (server_options::serve_client_script).
inline constexpr std::string_view script =
R"sbjs(// switchboard.js: the browser client of the switchboard session protocol
// (docs/protocol.md), with any_client's semantics: ordered transport fallback, resume
// after drops and network changes, every event exactly once and in order or a gap
// reported, reconnects with full-jitter backoff. No dependencies; an ES module.
// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.

export const PROTOCOL_VERSION = 1;
export const TRANSPORTS = ['websocket', 'sse', 'long-polling', 'polling'];
const enc = new TextEncoder();
const dec = new TextDecoder();

// An error of the client: `code` is the name of the matching switchboard::error.
export class SwitchboardError extends Error {
  constructor(code, message) {
    super(message || code);
    this.name = 'SwitchboardError';
    this.code = code;
  }
}
const fail = (code, why) => { throw new SwitchboardError(code, why); };

// ---- frames (protocol section 5) ---------------------------------------------------

// A decimal number at s[i]: [value, end] or null (no sign, no leading zero, and at
// most 2^53 - 1: a session never numbers that many events).
function number(s, i) {
  let j = i;
  while (j < s.length && s[j] >= '0' && s[j] <= '9') j++;
  if (j === i || (s[i] === '0' && j - i > 1) || j - i > 16) return null;
  const v = Number(s.slice(i, j));
  return v > Number.MAX_SAFE_INTEGER ? null : [v, j];
}

// Reads one frame, from a string or bytes: {kind, ...} or null when it is malformed.
// Event data is a string (flag t) or a Uint8Array (flag b).
export function parseFrame(m) {
  let bytes = null, s = m, nlByte = -1;
  if (typeof m !== 'string') {
    bytes = m;
    nlByte = m[0] === 0x45 ? m.indexOf(10) : -1; // an event: only its header is text
    s = dec.decode(nlByte < 0 ? m : m.subarray(0, nlByte + 1));
  }
  const k = s[0];
  if (k === 'E') {
    const n = number(s, 1);
    if (!n || n[0] === 0 || s[n[1]] !== ' ' || (s[n[1] + 1] !== 't' && s[n[1] + 1] !== 'b') || s[n[1] + 2] !== ' ')
      return null;
    const nl = s.indexOf('\n', n[1] + 3);
    if (nl < 0) return null;
    const type = s.slice(n[1] + 3, nl), binary = s[n[1] + 1] === 'b';
    if (type.includes('\r') || type === 'switchboard') return null;
    let data;
    if (bytes) {
      const rest = bytes.subarray(nlByte + 1);
      data = binary ? rest.slice() : dec.decode(rest);
    } else {
      data = binary ? enc.encode(s.slice(nl + 1)) : s.slice(nl + 1);
    }
    return { kind: 'event', seq: n[0], binary, type: type || 'message', data };
  }
  if (k === 'A') {
    const n = number(s, 1);
    return n && n[1] === s.length ? { kind: 'ack', seq: n[0] } : null;
  }
  if (k === 'G') {
    const a = number(s, 1), b = a && s[a[1]] === ' ' && number(s, a[1] + 1);
    return b && b[1] === s.length && a[0] > 0 && b[0] >= a[0] ? { kind: 'gap', first: a[0], last: b[0] } : null;
  }
  if (k === 'W') return { kind: 'welcome', body: s.slice(1) };
  if (k === 'H') return s.length === 1 ? { kind: 'heartbeat' } : null;
  if (k === 'C') {
    const n = number(s, 1);
    return n && n[0] <= 0xffff && s[n[1]] === ' ' ? { kind: 'close', code: n[0], reason: s.slice(n[1] + 1) } : null;
  }
  return null;
}

// An event frame: a string for text, bytes for binary data.
export function encodeEvent(seq, ev) {
  const head = `E${seq} ${ev.binary ? 'b' : 't'} ${ev.type}\n`;
  if (!ev.binary) return head + ev.data;
  const h = enc.encode(head), out = new Uint8Array(h.length + ev.data.length);
  out.set(h);
  out.set(ev.data, h.length);
  return out;
}

const bytesOf = (f) => (typeof f === 'string' ? enc.encode(f) : f);

// A POST body: each frame as <byte length>:<frame>.
export function encodeBody(frames) {
  const parts = [];
  for (const f of frames) {
    const b = bytesOf(f);
    parts.push(enc.encode(`${b.length}:`), b);
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

// The frames of a POST body or answer (bytes), or null when it is malformed.
export function decodeBody(b) {
  const frames = [];
  for (let at = 0; at < b.length;) {
    const colon = b.indexOf(58, at);
    const n = colon > at && colon - at <= 16 ? number(dec.decode(b.subarray(at, colon)), 0) : null;
    if (!n || n[1] !== colon - at || colon + 1 + n[0] > b.length) return null;
    frames.push(b.subarray(colon + 1, colon + 1 + n[0]));
    at = colon + 1 + n[0];
  }
  return frames;
}

// A welcome's JSON, checked as the C++ client checks it; null when it breaks a rule.
export function parseWelcome(body) {
  let w;
  try { w = JSON.parse(body); } catch { return null; }
  const day = 86400000, uint = (v, max) => Number.isSafeInteger(v) && v >= 0 && v <= max;
  if (!w || typeof w !== 'object' || w.v !== PROTOCOL_VERSION || !uint(w.last, Number.MAX_SAFE_INTEGER) ||
      !uint(w.heartbeat, day) || !uint(w.timeout, day) || !uint(w.max_message, Number.MAX_SAFE_INTEGER) ||
      typeof w.resumed !== 'boolean' || typeof w.token !== 'string' || !/^[A-Za-z0-9._~-]{1,128}$/.test(w.token))
    return null;
  return w;
}

// ---- event streams (WHATWG server-sent events; long-polling bodies) ---------------

// Feeds text in pieces; calls onEvent({id, event, data}) per event block and
// onComment(text) per comment line. `id` is the block's own id field, or null: not
// WHATWG's last event ID, which persists across blocks (every session-mode event
// carries its own, and one without must not pass for the one before).
export class EventStreamParser {
  // `limit`: the most characters of a line or of an event's data (a server that
  // sends more fails the stream with line_too_long).
  constructor(onEvent, onComment = () => {}, limit = Infinity) {
    this.onEvent = onEvent;
    this.onComment = onComment;
    this.limit = limit;
    this.rest = '';
    this.crEnded = false;
    this.reset();
  }
  reset() { this.id = null; this.event = ''; this.data = null; }
  feed(text) {
    if (this.crEnded && text[0] === '\n') text = text.slice(1); // the LF of a CRLF split across pieces
    this.crEnded = false;
    const eol = /\r\n|\r|\n/g;
    let m = eol.exec(text), at = 0;
    if (!m) { // (no line ends here: linear however many pieces a line comes in)
      this.rest += text;
      if (this.rest.length > this.limit) fail('line_too_long');
      return;
    }
    let s = this.rest + text;
    eol.lastIndex = this.rest.length;
    this.rest = '';
    while ((m = eol.exec(s))) {
      if (m[0] === '\r' && m.index + 1 === s.length) this.crEnded = true; // its LF may follow
      this.line(s.slice(at, m.index));
      at = eol.lastIndex;
    }
    this.rest = s.slice(at);
    if (this.rest.length > this.limit) fail('line_too_long');
  }
  line(l) {
    if (l === '') {
      if (this.data !== null) this.onEvent({ id: this.id, event: this.event || 'message', data: this.data });
      return this.reset();
    }
    if (l[0] === ':') return this.onComment(l.slice(1));
    const c = l.indexOf(':');
    const field = c < 0 ? l : l.slice(0, c);
    let value = c < 0 ? '' : l.slice(c + 1);
    if (value[0] === ' ') value = value.slice(1);
    if (field === 'data') {
      this.data = this.data === null ? value : this.data + '\n' + value;
      if (this.data.length > this.limit) fail('line_too_long');
    }
    else if (field === 'event') this.event = value;
    else if (field === 'id' && !value.includes('\0')) this.id = value;
  }
}

const fromBase64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));

// A session-mode event block as a frame: control frames travel as type `switchboard`;
// events carry their number (and base64 flag) in the id `<token>-<seq>[b|e]`.
export function frameOfStreamEvent(e) {
  if (e.event === 'switchboard') { // (a control frame: never an event)
    const f = parseFrame(e.data);
    return f && f.kind !== 'event' ? f : null;
  }
  const m = /-(\d+)([be]?)$/.exec(e.id || '');
  const n = m && number(m[1], 0);
  if)sbjs"
R"sbjs( (!n || n[0] === 0) return null;
  let data = e.data, binary = false;
  try {
    if (m[2] === 'b') { data = fromBase64(data); binary = true; }
    else if (m[2] === 'e') data = dec.decode(fromBase64(data));
  } catch { return null; }
  return { kind: 'event', seq: n[0], binary, type: e.event, data };
}

// ---- the session's two directions (protocol section 2) ----------------------------

// Events received: delivers each number once, in order, and says what was skipped.
export class InboundSequencer {
  constructor() { this.last = 0; }
  // {deliver, missed: [first, last] | null} for an event numbered seq.
  accept(seq) {
    if (seq <= this.last) return { deliver: false, missed: null };
    const missed = seq > this.last + 1 ? [this.last + 1, seq - 1] : null;
    this.last = seq;
    return { deliver: true, missed };
  }
  // A gap notice [first, last]: the part of it not delivered yet, or null.
  skip(first, last) {
    if (last <= this.last) return null;
    const from = this.last + 1; // (a notice starting further on skips those before it too)
    this.last = last;
    return [from, last];
  }
}

// Events sent and not acknowledged yet, for replay on resume.
export class ReplayWindow {
  constructor() { this.items = []; this.next = 1; this.bytes = 0; }
  push(ev, size) { this.items.push({ seq: this.next, ev, size }); this.bytes += size; return this.next++; }
  // False when `seq` was never sent (a protocol violation).
  acknowledge(seq) {
    if (seq >= this.next) return false;
    while (this.items.length && this.items[0].seq <= seq) this.bytes -= this.items.shift().size;
    return true;
  }
  get size() { return this.items.length; }
}

// ---- carriers: one connection of one transport ------------------------------------

function target(url, params) {
  const u = new URL(url, typeof location === 'undefined' ? undefined : location.href);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, String(v));
  return u;
}

// Why an HTTP answer failed, as an error code; whether another transport may help
// (a proxy that blocks one answers with an error status).
function statusError(status, post) {
  const why = `HTTP ${status}`;
  if (status === 401) return new SwitchboardError('unauthorized', why);
  if (status === 503) return new SwitchboardError('server_full', why);
  if (status === 404) return new SwitchboardError('connection_lost', why); // the session is gone: a new handshake says so
  if (post && status === 400) return new SwitchboardError('protocol_violation', why);
  if (post && status === 413) return new SwitchboardError('message_too_big', why);
  const e = new SwitchboardError('bad_http_status', why);
  e.transportSpecific = true;
  return e;
}
const httpStatus = (e) => Number((/^HTTP (\d+)$/.exec(e.message) || [])[1]);

class WebSocketCarrier {
  constructor(core, url) {
    const u = target(url, core.query());
    u.protocol = u.protocol === 'https:' ? 'wss:' : u.protocol === 'http:' ? 'ws:' : u.protocol;
    const ws = (this.ws = new WebSocket(u));
    ws.binaryType = 'arraybuffer';
    ws.onmessage = (m) => core.frame(this, parseFrame(typeof m.data === 'string' ? m.data : new Uint8Array(m.data)));
    ws.onclose = (c) => {
      const e = new SwitchboardError(c.code === 1008 ? 'queue_full' : c.code === 1009 ? 'message_too_big' :
        c.code === 1002 ? 'protocol_violation' : 'connection_lost', `WebSocket closed (${c.code})`);
      e.transportSpecific = true; // (a browser never says why an upgrade failed)
      core.closed(this, e);
    };
  }
  send(f) { if (this.ws.readyState === 1) this.ws.send(f); }
  control(f) { this.send(f); }
  close() { this.ws.onclose = this.ws.onmessage = null; this.ws.close(1000); }
  bye() { this.send('C0 '); this.close(); }
}

// The HTTP transports: downstream an event stream (SSE) or polls, upstream POSTs.
class HttpCarrier {
  constructor(core, url, kind) {
    this.core = core;
    this.url = url;
    this.kind = kind;
    this.abort = new AbortController();
    this.outbox = [];
    this.posting = false;
    this.parser = new EventStreamParser((e) => this.core.frame(this, frameOfStreamEvent(e)), (c) => {
      if (c === 'more') this.more = true;
    }, Math.ceil(core.options.maxMessageSize * 4 / 3) + 1024); // (base64 and the id)
    (kind === 'sse' ? this.stream() : this.poll(true)).catch((e) => this.end(e));
  }
  async fetch(u, init = {}) {
    const headers = { ...this.core.headers(), ...init.headers };
    const r = await fetch(u, { cache: 'no-store', ...init, headers, signal: this.abort.signal });
    if (r.status !== 200) throw statusError(r.status, init.method === 'POST');
    if (init.method !== 'POST' && !/^text\/event-stream/i.test(r.headers.get('Content-Type') || '')) {
      const e = new SwitchboardError('bad_content_type', r.headers.get('Content-Type') || 'none');
      e.transportSpecific = true; // (e.g. a proxy's page)
      throw e;
    }
    return r;
  }
  async stream() {
    const r = await this.fetch(target(this.url, this.core.query()), { headers: { Accept: 'text/event-stream' } });
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new SwitchboardError('connection_lost', 'the event stream ended');
      this.core.alive();
      this.parser.feed(value);
    }
  }
  async poll(handshake) {
    const kind = this.kind;
    for (;;) {
      const q = { ...this.core.query(), transport: kind };
      if (!handshake) q.poll = 1;
      const started = Date.now();
      this.more = false;
      const r = await this.fetch(target(this.url, q));
      const body = await r.text();
      this.core.alive();
      this.parser.feed(body);
      this.parser.feed('\n\n'); // (an answer is whole)
      if (this.closed) return;
      if (handshake && !this.welcomed) throw new SwitchboardError('protocol_violation', 'a handshake without a welcome');
      handshake = false;
      const wait = this.more ? 0 : kind === 'polling' ? this.core.options.pollInterval
        : body === '' && Date.now() - started < this.core.options.pollInterval ? this.core.options.pollInterval : 0;
      if (wait) await new Promise((r) => setTimeout(r, wait));
      if (this.closed) return;
    }
  }
  send(f) { this.outbox.push(f); this.flush(); }
  control(f) { if (this.kind === 'sse' || f[0] !== 'A') this.send(f); } // (a poll's `last` acknowledges)
  async flush() {
    if (this.posting || !this.outbox.length || this.closed || this.gone || !this.core.token) return;
    this.posting = true;
    const frames = this.outbox.splice(0), token = this.core.token;
    try {
      const r = await this.fetch(target(this.url, { sb: PROTOCOL_VERSION, token }), {
        method: 'POST', body: encodeBody(frames), headers: { 'Content-Type': 'application/octet-stream' },
      });
      // The answer: acknowledgements only (this client does not ask for events on it).
      const answer = decodeBody(new Uint8Array(await r.arrayBuffer()));
      for (const f of answer || [null]) {
        const frame = f && parseFrame(f);
        this.core.frame(this, frame && frame.kind === 'ack' ? frame : null);
      }
      this.posting = false;
      this.flush();
    } catch (e) {
      if (httpStatus(e) !== 404) return this.end(e);
      // 404 with a token that rotated meanwhile (a poll the browser sent again on a new
      // connection resumed the session, and the new token is in use): the token this
      // POST carried is void, not the session. Again, with the new one (the server
      // drops what it already has).
      if (this.core.token !== token) {
        this.outbox.unshift(...frames);
        this.posting = false;
        return this.flush();
      }
      // Else the session is gone while its stream may still bring its last frames:
      // post nothing more, read on (its end, or a poll's 404, brings the reconnect).
      this.gone = true;
    }
  }
  end(e) {
    if (this.clo)sbjs"
R"sbjs(sed) return;
    if (e && e.name === 'TypeError') e = new SwitchboardError('connection_lost', e.message); // a network error
    this.close();
    this.core.closed(this, e);
  }
  close() { this.closed = true; this.abort.abort(); }
  bye() { // the close frame outlives the page if need be
    if (this.core.token)
      fetch(target(this.url, { sb: PROTOCOL_VERSION, token: this.core.token }), { method: 'POST', keepalive: true,
        headers: this.core.headers(), body: encodeBody(['C0 ']) }).catch(() => {});
    this.close();
  }
}

// ---- the client ---------------------------------------------------------------------

const defaults = {
  transports: TRANSPORTS,
  headers: {},
  refreshHeaders: null,
  connectTimeout: 10000,
  reconnect: { enabled: true, initialDelay: 500, maxDelay: 30000, multiplier: 2, maxAttempts: 0, stableAfter: 10000 },
  ackEvery: 64,
  ackInterval: 1000,
  pollInterval: 1000,
  maxMessageSize: 16 * 1024 * 1024,
  maxQueuedEvents: 4096,
  maxQueuedBytes: 8 * 1024 * 1024,
  closeTimeout: 5000,
};

/** A session with a switchboard server over the first transport that gets through. */
export class Client {
  constructor(url, options = {}) {
    this.url = url;
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.options = { ...defaults, ...given, reconnect: { ...defaults.reconnect, ...given.reconnect } };
    for (const t of this.options.transports) if (!TRANSPORTS.includes(t)) fail('invalid_argument', `no transport ${t}`);
    this.state = 'connecting';
    this.transport = this.options.transports[0];
    this.handlers = {};
    this.token = '';
    this.in = new InboundSequencer();
    this.out = new ReplayWindow();
    this.current = 0;
    this.attempts = 0;
    this.everOpen = false;
    this.unacked = 0;
    this.timers = {};
    this.online = () => { if (this.state === 'reconnecting' && !this.carrier) { clearTimeout(this.timers.retry); this.attempt(); } };
    this.offline = () => { if (this.carrier) this.closed(this.carrier, new SwitchboardError('connection_lost', 'offline')); };
  }

  /** Calls `fn` on 'event' (an event), 'state' (the new state), 'gap' ({first, last}),
      'error' (a SwitchboardError: reported, the session goes on unless state says). */
  on(name, fn) { (this.handlers[name] ||= []).push(fn); return this; }
  emit(name, v) { for (const fn of this.handlers[name] || []) fn(v); }

  /** Opens the session; resolves once it is open, rejects when it cannot open. */
  connect() {
    if (this.started) return this.opened;
    this.started = true;
    if (typeof addEventListener === 'function') { addEventListener('online', this.online); addEventListener('offline', this.offline); }
    this.opened = new Promise((resolve, reject) => { this.settle = { resolve, reject }; });
    this.attempt();
    return this.opened;
  }

  /** Queues an event (type, data: string or Uint8Array/ArrayBuffer) to go out exactly
      once, whatever the connection does meanwhile; returns its sequence number. */
  send(ev) {
    if (this.state === 'closed' || this.closing) fail('closed');
    let { type = 'message', data = '' } = typeof ev === 'string' ? { data: ev } : ev;
    if (type === '') type = 'message';
    // Bytes are copied: a replay sends what was sent, whatever the caller does next.
    if (data instanceof ArrayBuffer) data = new Uint8Array(data.slice(0));
    else if (ArrayBuffer.isView(data)) data = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
    const binary = data instanceof Uint8Array;
    if (!binary) data = String(data);
    if (type === 'switchboard' || /[\r\n]/.test(type)) fail('invalid_event', `type ${JSON.stringify(type)}`);
    const size = binary ? data.length : enc.encode(data).length;
    if (size > this.options.maxMessageSize) fail('message_too_big');
    if (this.out.size >= this.options.maxQueuedEvents || this.out.bytes + size > this.options.maxQueuedBytes) fail('queue_full');
    const e = { type, data, binary };
    const seq = this.out.push(e, size);
    if (this.state === 'open' && this.carrier) this.carrier.send(encodeEvent(seq, e));
    return seq;
  }

  /** Ends the session once what was sent is acknowledged (or after closeTimeout). */
  close() {
    if (this.state === 'closed') return Promise.resolve();
    const done = new Promise((resolve) => (this.closeDone ||= []).push(resolve));
    if (!this.closing) {
      this.closing = true;
      this.set('closing');
      this.timers.close = setTimeout(() => this.finish(this.out.size ? new SwitchboardError('connection_lost', 'not acknowledged in time') : null),
        this.options.closeTimeout);
      this.maybeFinishClose();
    }
    return done;
  }

  /** Ends the current connection as if the network had dropped it: the session resumes
      on a new one (for demos and tests). */
  drop() { if (this.carrier) this.closed(this.carrier, new SwitchboardError('connection_lost', 'dropped')); }

  // --- for the carriers
  query() {
    const q = { sb: PROTOCOL_VERSION };
    if (this.token) { q.token = this.token; q.last = this.in.last; }
    return q;
  }
  headers() {
    const h = { ...this.options.headers };
    return this.options.refreshHeaders ? { ...h, ...this.options.refreshHeaders() } : h;
  }
  alive() { // (not on WebSocket: a browser answers the server's pings and shows none)
    clearTimeout(this.timers.idle);
    if (this.idleAfter && this.carrier && this.transport !== 'websocket') {
      const c = this.carrier;
      this.timers.idle = setTimeout(() => this.closed(c, new SwitchboardError('heartbeat_timeout')), this.idleAfter);
    }
  }
  frame(c, f) {
    if (c !== this.carrier) return;
    if (!f) return this.finish(new SwitchboardError('protocol_violation', 'a malformed frame'));
    if (this.transport !== 'websocket') this.alive();
    if (f.kind === 'heartbeat') return;
    if (f.kind === 'welcome') return this.welcome(f.body);
    if (this.state !== 'open' && this.state !== 'closing') return this.finish(new SwitchboardError('protocol_violation'));
    if (f.kind === 'event') {
      const v = this.in.accept(f.seq);
      if (v.missed) this.gap(v.missed);
      if (v.deliver) this.emit('event', { type: f.type, data: f.data, binary: f.binary, id: String(f.seq) });
      this.ackSoon();
    } else if (f.kind === 'ack') {
      if (!this.out.acknowledge(f.seq)) return this.finish(new SwitchboardError('protocol_violation', 'an ack of nothing sent'));
      this.maybeFinishClose();
    } else if (f.kind === 'gap') {
      const g = this.in.skip(f.first, f.last);
      if (g) this.gap(g);
      this.ackSoon();
    } else if (f.kind === 'close') {
      if (f.code !== 4 /* session_expired */) return this.finish(f.code ? new SwitchboardError(closeCodes[f.code] || `error_${f.code}`, f.reason) : null);
      this.detach(); // the server forgot the session: a new one, and what was lost is said
      this.restart();
      this.lost(new SwitchboardError('session_expired', f.reason));
    }
  }
  closed(c, e) {
    if (c !== this.carrier) return;
    this.detach();
    const before = this.state !== 'open' && this.state !== 'closing';
    if (before && e && e.transportSpecific && this.current + 1 < this.options.transports.length && !this.closing) {
      this.emit('error', e); // this transport does not get through: the next, at once
      this.transport = this.options.transports[++this.current];
      return this.attempt();
    }
    // Server-wide (the network, the server down): the next attempt starts again from
    // the first transport. (A browser cannot tell a refused WebSocket from a blocked
    // one: staying on the fallback would keep a session off WebSocket for good after
    // a server restart.)
    if (!e || !e.transportSpecific) this.current = 0;
    this.lost(e || new SwitchboardError('connection_lost'));
  }

  // --- inside
  set(s) { if (this.state !== s) { this.state = s; this.emit('state', s); } }
  detach() {
    if (this.c)sbjs"
R"sbjs(arrier) this.carrier.close();
    this.carrier = null;
    clearTimeout(this.timers.welcome);
    clearTimeout(this.timers.idle);
  }
  attempt() {
    if (this.state === 'closed') return;
    this.detach();
    this.transport = this.options.transports[this.current];
    let c;
    try {
      c = this.carrier = this.transport === 'websocket' ? new WebSocketCarrier(this, this.url)
        : new HttpCarrier(this, this.url, this.transport);
    } catch (e) { // (a URL the browser refuses)
      return this.finish(new SwitchboardError('invalid_argument', e.message));
    }
    this.timers.welcome = setTimeout(() => {
      const e = new SwitchboardError('handshake_timeout', 'no welcome');
      e.transportSpecific = true; // (e.g. a proxy that buffers the stream)
      this.closed(c, e);
    }, this.options.connectTimeout);
  }
  welcome(body) {
    const w = parseWelcome(body);
    if (!w) return this.finish(new SwitchboardError('protocol_violation', 'a malformed welcome'));
    if (this.token && !w.resumed) {
      this.emit('error', new SwitchboardError('session_expired', 'the server started a new session'));
      this.restart();
    }
    clearTimeout(this.timers.welcome);
    this.carrier.welcomed = true;
    this.token = w.token;
    this.idleAfter = w.timeout;
    this.alive();
    if (w.last >= this.out.next) return this.finish(new SwitchboardError('invalid_resume'));
    this.out.acknowledge(w.last);
    for (const { seq, ev } of this.out.items) this.carrier.send(encodeEvent(seq, ev));
    this.everOpen = true;
    this.openedAt = Date.now();
    if (!this.closing) this.set('open');
    if (this.settle) { this.settle.resolve(); this.settle = null; }
    if (this.carrier.flush) this.carrier.flush();
    this.maybeFinishClose();
  }
  restart() {
    this.token = '';
    this.in = new InboundSequencer();
    this.out = new ReplayWindow();
  }
  gap([first, last]) { this.emit('gap', { first, last }); }
  ackSoon() {
    if (++this.unacked >= this.options.ackEvery) return this.ack();
    if (!this.timers.ack) this.timers.ack = setTimeout(() => this.ack(), this.options.ackInterval);
  }
  ack() {
    clearTimeout(this.timers.ack);
    this.timers.ack = null;
    this.unacked = 0;
    if (this.carrier && this.state !== 'reconnecting') this.carrier.control(`A${this.in.last}`);
  }
  lost(e) {
    if (this.state === 'closed') return;
    const fatal = ['protocol_violation', 'message_too_big', 'server_full', 'invalid_resume', 'line_too_long'].includes(e.code) ||
      (e.code === 'unauthorized' && !this.options.refreshHeaders);
    const r = this.options.reconnect;
    // As the C++ client: a first connection that fails (on every transport) fails connect().
    if (!this.everOpen || this.closing || fatal || !r.enabled) return this.finish(e);
    if (this.openedAt && Date.now() - this.openedAt >= r.stableAfter) this.attempts = 0;
    this.openedAt = 0;
    if (r.maxAttempts && this.attempts >= r.maxAttempts) return this.finish(new SwitchboardError('reconnect_exhausted'));
    this.set('reconnecting');
    this.emit('error', e);
    const delay = Math.random() * Math.min(r.maxDelay, r.initialDelay * r.multiplier ** this.attempts++);
    this.timers.retry = setTimeout(() => this.attempt(), delay);
  }
  maybeFinishClose() {
    if (this.closing && this.out.size === 0) this.finish(null);
  }
  finish(e) {
    if (this.state === 'closed') return;
    for (const t of Object.values(this.timers)) clearTimeout(t);
    if (this.carrier) e ? this.carrier.close() : this.carrier.bye();
    this.carrier = null;
    if (typeof removeEventListener === 'function') { removeEventListener('online', this.online); removeEventListener('offline', this.offline); }
    this.set('closed');
    if (e) this.emit('error', e);
    if (this.settle) { this.settle.reject(e || new SwitchboardError('closed')); this.settle = null; }
    for (const resolve of this.closeDone || []) resolve();
  }
}

// The names of switchboard::error values (close frames carry the number).
const closeCodes = ['', 'closed', 'replay_gap', 'invalid_resume', 'session_expired', 'message_too_big', 'queue_full',
  'heartbeat_timeout', 'handshake_timeout', 'protocol_violation', 'invalid_base64', 'server_full',
  'reconnect_exhausted', 'transport_unavailable', 'bad_http_status', 'bad_content_type', 'too_many_redirects',
  'line_too_long', 'invalid_event', 'connection_lost', 'send_timeout', 'redirect_refused', 'tls_failed',
  'certificate_rejected', 'unauthorized'];
)sbjs"
;

} // namespace switchboard::browser

#endif
