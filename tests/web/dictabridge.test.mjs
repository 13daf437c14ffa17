import { fakeWebSocketClass, fakeFetch, fakeTimers, fakeDocument, settle } from './fakes.mjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DictabridgeClient, SUBPROTOCOL, MESSAGE_TYPES, statusUrlFor, backoffDelay,
} from '../../web/dictabridge.js';

const DEVICE_A = { id: '0911-0c1c-A', family: 'speechmike', leds: ['record'] };
const DEVICE_B = { id: '0554-0064-B', family: 'powermic4', leds: ['record'] };

/** A client on fakes; `doc: null` means no document (no auto-claim). */
function setup({ fetchMode = 'nothing', doc = null, random = () => 0.5, ...options } = {}) {
  const WebSocketImpl = fakeWebSocketClass();
  const fetchImpl = fakeFetch(fetchMode);
  const timers = fakeTimers();
  const connections = [];
  const client = new DictabridgeClient({
    WebSocketImpl, fetchImpl, timers, random, document: doc ?? undefined, ...options,
  });
  client.addEventListener('connection', (ev) => connections.push(ev.detail));
  const socket = () => WebSocketImpl.instances.at(-1);
  return { client, WebSocketImpl, fetchImpl, timers, connections, socket };
}

test('the status URL is derived from the WebSocket URL', () => {
  assert.equal(statusUrlFor('ws://127.0.0.1:27415/'), 'http://127.0.0.1:27415/status');
  assert.equal(statusUrlFor('wss://[::1]:9000/x?y#z'), 'https://[::1]:9000/status');
  const { client } = setup({ url: 'ws://127.0.0.1:30000/' });
  assert.equal(client.statusUrl, 'http://127.0.0.1:30000/status');
  assert.equal(new DictabridgeClient({ fetchImpl: fakeFetch('nothing') }).url,
               'ws://127.0.0.1:27415/');
});

test('backoff doubles from minMs up to maxMs, jitter takes off up to half', () => {
  const b = { minMs: 500, maxMs: 15000 };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6].map((n) => backoffDelay(n, b, () => 0)),
                   [250, 500, 1000, 2000, 4000, 7500, 7500]);
  assert.deepEqual([0, 5].map((n) => backoffDelay(n, b, () => 0.999)).map(Math.round),
                   [500, 14993]);
});

test('connect opens the URL with the subprotocol and reports connecting, then open', () => {
  const { client, socket, connections } = setup();
  client.connect();
  assert.equal(socket().url, 'ws://127.0.0.1:27415/');
  assert.equal(socket().protocol, SUBPROTOCOL);
  assert.equal(socket().binaryType, 'arraybuffer');
  assert.equal(client.status, 'connecting');
  socket().open();
  assert.equal(client.status, 'open');
  assert.deepEqual(connections.map((c) => c.status), ['connecting', 'open']);
  client.connect();    // already connected: no second socket
  assert.equal(socket(), socket());
});

test('a failed upgrade with nothing answering /status is not_running; retries back off', async () => {
  const { client, WebSocketImpl, fetchImpl, timers, socket, connections } = setup();
  client.connect();
  socket().drop(1006);
  await settle();
  assert.equal(client.status, 'not_running');
  assert.match(client.reason, /not running/);
  assert.deepEqual(fetchImpl.calls,
    [{ url: 'http://127.0.0.1:27415/status', init: { mode: 'no-cors', cache: 'no-store' } }]);
  assert.deepEqual(timers.delays(), [375]);

  timers.runAll();
  assert.equal(WebSocketImpl.instances.length, 2);
  socket().drop(1006);
  await settle();
  assert.deepEqual(timers.delays(), [750]);
  timers.runAll();
  socket().drop(1006);
  await settle();
  assert.deepEqual(timers.delays(), [1500]);
  // The verdict stays on show while retrying: no flapping back to 'connecting'.
  assert.deepEqual(connections.map((c) => c.status), ['connecting', 'not_running']);

  timers.runAll();
  socket().open();
  assert.equal(client.status, 'open');
  socket().drop(1001);
  assert.equal(client.status, 'connecting');
  assert.match(client.reason, /shutting down/);
  assert.deepEqual(timers.delays(), [375], 'an open connection resets the backoff');
});

test('a failed upgrade while /status answers (opaquely) is refused', async () => {
  const { client, socket } = setup({ fetchMode: 'answers' });
  client.connect();
  socket().drop(1006);
  await settle();
  assert.equal(client.status, 'refused');
  assert.match(client.reason, /allowed_origins/);
});

test('a WebSocket the browser will not even create is refused, and retried', () => {
  const timers = fakeTimers();
  const client = new DictabridgeClient({
    WebSocketImpl: class { constructor() { throw new SyntaxError('blocked'); } },
    fetchImpl: fakeFetch('nothing'), timers, random: () => 0,
  });
  client.connect();
  assert.equal(client.status, 'refused');
  assert.match(client.reason, /the browser refused to open ws:\/\/127.0.0.1:27415\/: SyntaxError: blocked/);
  assert.deepEqual(timers.delays(), [250]);
});

test('a drop of an open connection reconnects; close() does not', async () => {
  const { client, WebSocketImpl, timers, socket, connections } = setup();
  client.connect();
  socket().open();
  socket().drop(1006);
  timers.runAll();
  assert.equal(WebSocketImpl.instances.length, 2);
  socket().open();
  const last = socket();
  client.close();
  assert.equal(last.closedWith, 1000);
  assert.equal(client.status, 'closed');
  assert.equal(connections.at(-1).reason, 'closed by the page');
  assert.equal(timers.pending.size, 0);
  last.drop(1000);     // handlers were detached: nothing happens
  await settle();
  assert.equal(timers.pending.size, 0);
  assert.equal(WebSocketImpl.instances.length, 2);
});

test('close() during a retry wait cancels the retry', async () => {
  const { client, WebSocketImpl, timers, socket } = setup();
  client.connect();
  socket().drop(1006);
  await settle();
  assert.equal(timers.pending.size, 1);
  client.close();
  assert.equal(timers.pending.size, 0);
  assert.equal(WebSocketImpl.instances.length, 1);
});

test('a failure verdict arriving after close() or a new connect() is dropped', async () => {
  const { client, WebSocketImpl, timers, socket } = setup();
  client.connect();
  socket().drop(1006);
  client.close();
  await settle();
  assert.equal(client.status, 'closed');
  assert.equal(timers.pending.size, 0);

  client.connect();
  socket().drop(1006);
  client.close();
  client.connect();           // the verdict on the second socket is still on its way
  await settle();
  assert.equal(client.status, 'connecting');
  assert.equal(timers.pending.size, 0);
  socket().open();
  assert.equal(client.status, 'open');
  assert.equal(WebSocketImpl.instances.length, 3);
});

test('devices follow hello, device.added and device.removed, and clear on a drop', () => {
  const { client, socket } = setup();
  client.connect();
  socket().open();
  socket().receive({ type: 'hello', protocol: 1, version: '0.1.0', devices: [DEVICE_A] });
  assert.deepEqual([...client.devices.keys()], [DEVICE_A.id]);
  socket().receive({ type: 'device.added', device: DEVICE_B });
  assert.deepEqual(client.devices.get(DEVICE_B.id), DEVICE_B);
  socket().receive({ type: 'device.removed', device_id: DEVICE_A.id });
  assert.deepEqual([...client.devices.keys()], [DEVICE_B.id]);
  socket().receive({ type: 'hello', protocol: 1, version: '0.1.0', devices: [] });
  assert.equal(client.devices.size, 0);
  socket().receive({ type: 'device.added', device: DEVICE_A });
  socket().drop(1006);
  assert.equal(client.devices.size, 0);
});

test('every protocol message type becomes an event of that name; unknown ones do not', () => {
  const { client, socket } = setup();
  const seen = [];
  for (const type of [...MESSAGE_TYPES, 'future.thing']) {
    client.addEventListener(type, (ev) => seen.push(ev.detail));
  }
  client.connect();
  socket().open();
  const messages = [
    { type: 'hello', protocol: 1, version: '0.1.0', devices: [] },
    { type: 'device.added', device: DEVICE_A },
    { type: 'device.removed', device_id: DEVICE_A.id },
    { type: 'button', device_id: 'd', button: 'record', pressed: true, time_ms: 1 },
    { type: 'command', device_id: 'd', command: 'report.sign', button: 'eol', gesture: 'hold' },
    { type: 'slider', device_id: 'd', position: 'play', time_ms: 2 },
    { type: 'motion', device_id: 'd', state: 'picked_up' },
    { type: 'claim', owner: true },
    { type: 'error', code: 'unknown_led', message: 'no', request: 'led' },
    { type: 'pong', id: 'x' },
    { type: 'leds', device_id: 'd', leds: { record: { color: 'red', mode: 'on' } } },
  ];
  assert.deepEqual(messages.map((m) => m.type), [...MESSAGE_TYPES]);
  for (const m of messages) socket().receive(m);
  socket().receive({ type: 'future.thing', x: 1 });
  socket().receive('not json');
  socket().receive('[1, 2]');
  socket().receive({ type: 7 });
  assert.deepEqual(seen, messages);
});

test('isOwner follows the claim messages', () => {
  const { client, socket } = setup();
  client.connect();
  socket().open();
  assert.equal(client.isOwner, false);
  socket().receive({ type: 'claim', owner: true });
  assert.equal(client.isOwner, true);
  socket().receive({ type: 'claim', owner: false });
  assert.equal(client.isOwner, false);
  socket().receive({ type: 'claim', owner: true });
  socket().drop(1006);
  assert.equal(client.isOwner, false);
});

test('setState is remembered and sent again after every reconnect', () => {
  const { client, timers, socket } = setup();
  assert.equal(client.setState({ recording: false, report_open: true }), false);
  client.connect();
  socket().open();
  assert.deepEqual(socket().messages, [{ type: 'state', recording: false, report_open: true }]);
  assert.equal(client.setState({ recording: true, report_open: true }), true);
  socket().drop(1006);
  timers.runAll();
  socket().open();
  assert.deepEqual(socket().messages, [{ type: 'state', recording: true, report_open: true }]);
});

test('setLed, claim, release send their messages', () => {
  const { client, socket } = setup();
  assert.equal(client.setLed('d', 'record', 'red'), false, 'not connected');
  client.connect();
  socket().open();
  assert.equal(client.setLed('d', 'record', 'red'), true);
  client.setLed('d', 'f1', 'green', 'blink_slow');
  client.claim();
  client.release();
  assert.deepEqual(socket().messages, [
    { type: 'led', device_id: 'd', led: 'record', color: 'red', mode: 'on' },
    { type: 'led', device_id: 'd', led: 'f1', color: 'green', mode: 'blink_slow' },
    { type: 'claim' },
    { type: 'release' },
  ]);
});

test('ping resolves with its pong; it rejects when not connected or on a drop', async () => {
  const { client, socket } = setup();
  await assert.rejects(client.ping(1), /not connected/);
  client.connect();
  socket().open();
  const p = client.ping(42);
  const q = client.ping();
  await assert.rejects(client.ping(42), /already waiting/);
  assert.deepEqual(socket().messages, [{ type: 'ping', id: 42 }, { type: 'ping', id: 1 }]);
  socket().receive({ type: 'pong', id: 42 });
  assert.deepEqual(await p, { type: 'pong', id: 42 });
  socket().drop(1009);
  await assert.rejects(q, /65,536 bytes/);
});

test('auto-claim: claims when visible and focused, never releases on blur or when hidden', () => {
  const doc = fakeDocument({ visible: true, focused: true });
  const { client, timers, socket } = setup({ doc });
  const win = doc.defaultView;
  client.connect();
  socket().open();
  assert.deepEqual(socket().messages, [{ type: 'claim' }]);
  socket().receive({ type: 'claim', owner: true });

  // The radiologist moves to the PACS viewer, or to another tab: the claim stays.
  doc.focused = false;
  win.dispatchEvent(new Event('blur'));
  doc.visibilityState = 'hidden';
  doc.dispatchEvent(new Event('visibilitychange'));
  timers.runAll();
  // Back while still the owner: nothing to claim.
  doc.focused = true;
  doc.visibilityState = 'visible';
  doc.dispatchEvent(new Event('visibilitychange'));
  win.dispatchEvent(new Event('focus'));
  assert.deepEqual(socket().messages, [{ type: 'claim' }]);

  // Another page claimed: coming back (visible and focused) claims again.
  socket().receive({ type: 'claim', owner: false });
  doc.dispatchEvent(new Event('visibilitychange'));
  assert.deepEqual(socket().messages, [{ type: 'claim' }, { type: 'claim' }]);
  socket().receive({ type: 'claim', owner: true });
  socket().receive({ type: 'claim', owner: false });
  win.dispatchEvent(new Event('focus'));
  assert.equal(socket().messages.length, 3);
  // Focus alone, with the page hidden, is not coming back.
  socket().receive({ type: 'claim', owner: false });
  doc.visibilityState = 'hidden';
  win.dispatchEvent(new Event('focus'));
  assert.equal(socket().messages.length, 3);
  assert.ok(!socket().messages.some((m) => m.type === 'release'));
});

test('auto-claim: a pointer or key press in the page claims when it does not own', () => {
  const doc = fakeDocument({ visible: true, focused: false });
  const { client, socket } = setup({ doc });
  client.connect();
  socket().open();
  assert.deepEqual(socket().sent, []);
  doc.dispatchEvent(new Event('pointerdown'));
  assert.deepEqual(socket().messages, [{ type: 'claim' }]);
  socket().receive({ type: 'claim', owner: true });
  doc.dispatchEvent(new Event('pointerdown'));
  doc.dispatchEvent(new Event('keydown'));
  assert.equal(socket().messages.length, 1, 'the owner does not claim again');
  socket().receive({ type: 'claim', owner: false });
  doc.dispatchEvent(new Event('keydown'));
  assert.deepEqual(socket().messages, [{ type: 'claim' }, { type: 'claim' }]);

  client.close();
  const closed = socket();
  doc.dispatchEvent(new Event('pointerdown'));
  doc.dispatchEvent(new Event('visibilitychange'));
  assert.equal(closed.messages.length, 2, 'no listener left after close()');
});

test('auto-claim: a click into an iframe of the page (the window blurs into it) claims', () => {
  const doc = fakeDocument({ visible: true, focused: false });
  const { client, socket, timers } = setup({ doc });
  client.connect();
  socket().open();
  // Focus leaving for another window (the PACS viewer) leaves the body active: no claim.
  doc.defaultView.dispatchEvent(new Event('blur'));
  timers.runAll();
  assert.deepEqual(socket().sent, []);
  // A click in the reporting iframe: the window blurs, then the iframe is the active one.
  doc.defaultView.dispatchEvent(new Event('blur'));
  doc.activeElement = { tagName: 'IFRAME' };
  timers.runAll();
  assert.deepEqual(socket().messages, [{ type: 'claim' }]);
  socket().receive({ type: 'claim', owner: true });
  doc.defaultView.dispatchEvent(new Event('blur'));
  timers.runAll();
  assert.equal(socket().messages.length, 1, 'the owner does not claim again');
  // A hidden page never claims, even with an iframe active.
  socket().receive({ type: 'claim', owner: false });
  doc.visibilityState = 'hidden';
  doc.defaultView.dispatchEvent(new Event('blur'));
  timers.runAll();
  assert.equal(socket().messages.length, 1);

  client.close();
  doc.visibilityState = 'visible';
  doc.defaultView.dispatchEvent(new Event('blur'));
  timers.runAll();
  assert.equal(socket().messages.length, 1, 'no listener left after close()');
});

test('auto-claim: after a reconnect the owner claims again, other unfocused pages do not', () => {
  const doc = fakeDocument({ visible: true, focused: false });
  const { client, timers, socket } = setup({ doc });
  client.connect();
  socket().open();
  client.claim();
  socket().receive({ type: 'claim', owner: true });
  socket().drop(1006);
  assert.equal(client.isOwner, false);
  timers.runAll();
  socket().open();
  assert.deepEqual(socket().messages, [{ type: 'claim' }], 're-claimed after reconnect');
  socket().drop(1006);          // it had not been told it owns: no claim next time
  timers.runAll();
  socket().open();
  assert.deepEqual(socket().sent, []);
});

test('auto-claim: a page hidden or unfocused at connect does not claim; autoClaim false never', () => {
  const hidden = setup({ doc: fakeDocument({ visible: false, focused: true }) });
  hidden.client.connect();
  hidden.socket().open();
  assert.deepEqual(hidden.socket().sent, []);

  const blurred = setup({ doc: fakeDocument({ visible: true, focused: false }) });
  blurred.client.connect();
  blurred.socket().open();
  assert.deepEqual(blurred.socket().sent, []);

  const doc = fakeDocument();
  const off = setup({ doc, autoClaim: false });
  off.client.connect();
  off.socket().open();
  doc.defaultView.dispatchEvent(new Event('focus'));
  doc.dispatchEvent(new Event('pointerdown'));
  doc.dispatchEvent(new Event('keydown'));
  assert.deepEqual(off.socket().sent, []);
});

test('a virtual unit: press and slide requests, LED state kept from leds messages', () => {
  const { client, socket } = setup();
  client.connect();
  socket().open();
  const VIRTUAL = { ...DEVICE_A, id: 'virtual-speechmike-1', virtual: true,
                    led_state: { record: { color: 'off', mode: 'on' } } };
  socket().receive({ type: 'hello', protocol: 1, version: '0.1.0', devices: [VIRTUAL] });
  assert.equal(client.press(VIRTUAL.id, 'eol', true), true);
  assert.equal(client.press(VIRTUAL.id, 'eol', false), true);
  assert.equal(client.press(VIRTUAL.id, 'f1', true, 250), true);
  assert.equal(client.slide(VIRTUAL.id, 'play'), true);
  assert.deepEqual(socket().sent.slice(-4).map((t) => JSON.parse(t)), [
    { type: 'press', device_id: VIRTUAL.id, button: 'eol', pressed: true },
    { type: 'press', device_id: VIRTUAL.id, button: 'eol', pressed: false },
    { type: 'press', device_id: VIRTUAL.id, button: 'f1', pressed: true, hold_ms: 250 },
    { type: 'slide', device_id: VIRTUAL.id, position: 'play' },
  ]);
  socket().receive({ type: 'leds', device_id: VIRTUAL.id,
                     leds: { record: { color: 'red', mode: 'blink_fast' } } });
  assert.deepEqual(client.devices.get(VIRTUAL.id).led_state.record,
                   { color: 'red', mode: 'blink_fast' });
  // a leds message for an unknown device changes nothing
  socket().receive({ type: 'leds', device_id: 'gone', leds: {} });
  assert.equal(client.devices.size, 1);
});
