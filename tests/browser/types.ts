// Checks the browser client's TypeScript declarations (switchboard.d.ts) as an editor
// would: `tsc --noEmit --strict` on this file (ctest browser/types). The lines marked as
// expected errors must be refused, so the declarations are known to constrain.
// Distributed under the Boost Software License, Version 1.0.
import { Client, SwitchboardError, TRANSPORTS, type SwitchboardEvent, type State, type Transport } from '../../include/switchboard/browser/switchboard.js';

const client = new Client('https://example.com/live', {
  transports: ['websocket', 'sse'],
  headers: { Authorization: 'Bearer x' },
  refreshHeaders: () => ({ Authorization: 'Bearer y' }),
  reconnect: { initialDelay: 100, maxAttempts: 5 },
});
client.on('event', (e: SwitchboardEvent) => {
  const text: string = e.binary ? new TextDecoder().decode(e.data as Uint8Array) : (e.data as string);
  console.log(e.type, e.id, text);
});
client.on('state', (s: State) => console.log(s === 'open'));
client.on('gap', (g) => console.log(g.first, g.last));
client.on('error', (e) => console.log(e.code, e instanceof SwitchboardError));
const seq: number = client.send({ type: 'chat', data: 'hello' });
client.send('plain text');
client.send({ type: 'blob', data: new Uint8Array([1, 2]) });
const t: Transport = client.transport;
const all: readonly Transport[] = TRANSPORTS;
void client.connect().then(() => client.close());
console.log(seq, t, all);

// @ts-expect-error: not a transport
new Client('/live', { transports: ['carrier-pigeon'] });
// @ts-expect-error: events are strings or bytes
client.send({ type: 'n', data: 42 });
// @ts-expect-error: no such notification
client.on('message', () => {});
// @ts-expect-error: the state is read-only
client.state = 'open';
