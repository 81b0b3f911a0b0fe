// Type declarations of switchboard.js, the browser client of the switchboard session
// protocol (docs/protocol.md).
// Copyright (c) 2026 The switchboard authors.
// Distributed under the Boost Software License, Version 1.0.

export declare const PROTOCOL_VERSION: 1;

/** The transports, in the default order of preference. */
export type Transport = 'websocket' | 'sse' | 'long-polling' | 'polling';
export declare const TRANSPORTS: readonly Transport[];

/** Where a client is: as switchboard::state. */
export type State = 'connecting' | 'open' | 'reconnecting' | 'closing' | 'closed';

/** The names of switchboard::error values the client reports. */
export type ErrorCode =
  | 'closed' | 'replay_gap' | 'invalid_resume' | 'session_expired' | 'message_too_big' | 'queue_full'
  | 'heartbeat_timeout' | 'handshake_timeout' | 'protocol_violation' | 'invalid_base64' | 'server_full'
  | 'reconnect_exhausted' | 'transport_unavailable' | 'bad_http_status' | 'bad_content_type'
  | 'too_many_redirects' | 'line_too_long' | 'invalid_event' | 'connection_lost' | 'send_timeout'
  | 'redirect_refused' | 'tls_failed' | 'certificate_rejected' | 'unauthorized' | 'invalid_argument';

export declare class SwitchboardError extends Error {
  constructor(code: ErrorCode, message?: string);
  readonly code: ErrorCode;
}

/** An event as the application sees it: the same model on every transport. */
export interface SwitchboardEvent {
  /** "message" unless the sender named another type. */
  type: string;
  /** Text, or the bytes of a binary event. */
  data: string | Uint8Array;
  binary: boolean;
  /** The event's sequence number in its session, in decimal. */
  id: string;
}

/** What `send` takes: a string is a "message" event of that text. */
export type Outgoing = string | { type?: string; data?: string | Uint8Array | ArrayBuffer };

/** A range of events the server could no longer replay: reported, never skipped silently. */
export interface Gap { first: number; last: number; }

export interface ReconnectOptions {
  enabled?: boolean;
  /** Milliseconds; the delay before attempt n is drawn from [0, min(maxDelay, initialDelay * multiplier^n)]. */
  initialDelay?: number;
  maxDelay?: number;
  multiplier?: number;
  /** 0: never give up. */
  maxAttempts?: number;
  /** A connection up this long (ms) resets the attempts. */
  stableAfter?: number;
}

export interface ClientOptions {
  /** Tried in this order; a later one when an earlier one does not get through. */
  transports?: Transport[];
  /** Sent with every HTTP request (not on WebSocket: browsers cannot). */
  headers?: Record<string, string>;
  /** Called before every request; its fields are added (credentials that expire). */
  refreshHeaders?: (() => Record<string, string>) | null;
  /** Milliseconds for a connection to bring the welcome, else the next transport. */
  connectTimeout?: number;
  reconnect?: ReconnectOptions;
  ackEvery?: number;
  ackInterval?: number;
  /** Polling: milliseconds between polls. */
  pollInterval?: number;
  maxMessageSize?: number;
  /** Events sent and not acknowledged: past these, send throws queue_full. */
  maxQueuedEvents?: number;
  maxQueuedBytes?: number;
  /** Milliseconds close() waits for acknowledgements. */
  closeTimeout?: number;
}

export interface ClientEvents {
  event: SwitchboardEvent;
  state: State;
  gap: Gap;
  error: SwitchboardError;
}

/** A session with a switchboard server over the first transport that gets through. */
export declare class Client {
  constructor(url: string | URL, options?: ClientOptions);
  readonly state: State;
  /** The transport in use (or being tried). */
  readonly transport: Transport;
  on<K extends keyof ClientEvents>(name: K, fn: (value: ClientEvents[K]) => void): this;
  /** Resolves once the session is open; rejects when it cannot open. */
  connect(): Promise<void>;
  /** Queues an event to go out exactly once; returns its sequence number.
      @throws SwitchboardError closed, invalid_event, message_too_big or queue_full. */
  send(event: Outgoing): number;
  /** Ends the session once what was sent is acknowledged (or after closeTimeout). */
  close(): Promise<void>;
  /** Ends the current connection as if the network had dropped it (demos, tests). */
  drop(): void;
}

// The protocol's pieces, for tests and tools.
export type Frame =
  | { kind: 'event'; seq: number; binary: boolean; type: string; data: string | Uint8Array }
  | { kind: 'ack'; seq: number }
  | { kind: 'gap'; first: number; last: number }
  | { kind: 'welcome'; body: string }
  | { kind: 'heartbeat' }
  | { kind: 'close'; code: number; reason: string };
export declare function parseFrame(m: string | Uint8Array): Frame | null;
export declare function encodeEvent(seq: number, ev: { type: string; data: string | Uint8Array; binary: boolean }): string | Uint8Array;
export declare function encodeBody(frames: (string | Uint8Array)[]): Uint8Array;
export declare function decodeBody(body: Uint8Array): Uint8Array[] | null;
export interface Welcome { v: 1; token: string; last: number; resumed: boolean; heartbeat: number; timeout: number; max_message: number; }
export declare function parseWelcome(body: string): Welcome | null;
export interface StreamEvent { id: string | null; event: string; data: string; }
export declare class EventStreamParser {
  constructor(onEvent: (e: StreamEvent) => void, onComment?: (text: string) => void);
  feed(text: string): void;
}
export declare function frameOfStreamEvent(e: StreamEvent): Frame | null;
export declare class InboundSequencer {
  last: number;
  accept(seq: number): { deliver: boolean; missed: [number, number] | null };
  skip(first: number, last: number): [number, number] | null;
}
export declare class ReplayWindow {
  readonly size: number;
  bytes: number;
  next: number;
  push(ev: unknown, size: number): number;
  acknowledge(seq: number): boolean;
}
