import { fakeWebSocketClass, fakeFetch, fakeTimers } from './fakes.mjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AUDIO_MESSAGE_TYPES, DictabridgeClient, decodeAudioFrame } from '../../web/dictabridge.js';

const CAPTURE_US = 1795430400123456n;   // above 2^32: needs both halves of the u64

/** Builds a frame byte by byte, independently of the decoder's DataView reads. */
function frame({ magic = 'DBA1', streamId = 7, sequence = 3, samples = [], count = samples.length,
                 captureUs = CAPTURE_US } = {}) {
  const bytes = [...magic].map((c) => c.charCodeAt(0));
  const u32 = (v) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
  bytes.push(...u32(streamId), ...u32(sequence), ...u32(count));
  for (let i = 0n; i < 8n; i++) bytes.push(Number((captureUs >> (8n * i)) & 0xffn));
  for (const s of samples) bytes.push(s & 0xff, (s >> 8) & 0xff);
  return new Uint8Array(bytes).buffer;
}

test('decodeAudioFrame reads the header and maps s16le samples to [-1, 1)', () => {
  const f = decodeAudioFrame(frame({
    streamId: 0x01020304, sequence: 0xfffffffe,
    samples: [0, 1, -1, 16384, -16384, 32767, -32768],
  }));
  assert.equal(f.streamId, 0x01020304);
  assert.equal(f.sequence, 0xfffffffe);
  assert.equal(f.sampleCount, 7);
  assert.equal(f.captureTimeUs, 1795430400123456);
  assert.ok(f.samples instanceof Float32Array);
  assert.deepEqual([...f.samples],
    [0, 1 / 32768, -1 / 32768, 0.5, -0.5, 32767 / 32768, -1].map(Math.fround));
});

test('decodeAudioFrame refuses a wrong magic, a short header and a wrong length', () => {
  assert.throws(() => decodeAudioFrame(frame({ magic: 'DBA2' })), /magic/);
  assert.throws(() => decodeAudioFrame(new ArrayBuffer(23)), /shorter than its header/);
  assert.throws(() => decodeAudioFrame(frame({ samples: [1, 2], count: 3 })), /announces 3/);
  assert.equal(decodeAudioFrame(frame()).samples.length, 0);
});

test('subscribeAudio starts a stream, routes its frames, stops, and renews on reconnect', () => {
  const WebSocketImpl = fakeWebSocketClass();
  const timers = fakeTimers();
  const client = new DictabridgeClient({
    WebSocketImpl, fetchImpl: fakeFetch('nothing'), timers, random: () => 0,
  });
  const socket = () => WebSocketImpl.instances.at(-1);
  client.connect();
  socket().open();
  const got = [];
  const other = [];
  client.subscribeAudio('dev2', {}, (samples) => other.push([...samples]));
  const unsubscribe = client.subscribeAudio('dev1', { rate: 16000, frameMs: 20 },
    (samples, info) => got.push({ samples: [...samples], info }));
  assert.deepEqual(socket().messages, [
    { type: 'audio.start', device_id: 'dev2', rate: 16000, frame_ms: 20 },
    { type: 'audio.start', device_id: 'dev1', rate: 16000, frame_ms: 20 },
  ]);
  socket().sent.length = 0;

  socket().receive(frame({ streamId: 7, samples: [16384] }));     // before audio.started
  socket().receive({ type: 'audio.started', device_id: 'dev1', stream_id: 7 });
  socket().receive({ type: 'audio.started', device_id: 'dev2', stream_id: 8 });
  socket().receive(frame({ streamId: 7, sequence: 1, samples: [16384, -32768] }));
  socket().receive(frame({ streamId: 8, samples: [-16384] }));     // dev2's stream
  socket().receive(frame({ magic: 'XXXX', streamId: 7 }));         // not a frame
  assert.deepEqual(got, [{
    samples: [0.5, -1],
    info: { deviceId: 'dev1', streamId: 7, sequence: 1, captureTimeUs: 1795430400123456 },
  }]);
  assert.deepEqual(other, [[-0.5]]);

  socket().drop(1006);
  timers.runAll();
  socket().open();
  assert.deepEqual(socket().messages.map((m) => m.device_id), ['dev2', 'dev1'],
                   'renewed after the reconnect');
  socket().sent.length = 0;
  socket().receive({ type: 'audio.started', device_id: 'dev1', stream_id: 9 });
  socket().receive(frame({ streamId: 7, samples: [1] }));          // the old stream's id
  assert.equal(got.length, 1);

  unsubscribe();
  unsubscribe();
  assert.deepEqual(socket().messages, [{ type: 'audio.stop', device_id: 'dev1' }]);
  socket().receive(frame({ streamId: 9, samples: [1] }));
  assert.equal(got.length, 1);
});

function connected() {
  const WebSocketImpl = fakeWebSocketClass();
  const client = new DictabridgeClient({
    WebSocketImpl, fetchImpl: fakeFetch('nothing'), timers: fakeTimers(), random: () => 0,
  });
  const socket = () => WebSocketImpl.instances.at(-1);
  client.connect();
  socket().open();
  socket().sent.length = 0;
  return { client, socket };
}

const MIC = { source: 'config', card: null, name: 'dictabridge_test' };
const device = (audio) => ({
  id: 'dev1', family: 'speechmike', model: 'SpeechMike Premium', model_code: 3500,
  vendor_id: 0x911, product_id: 0xc1c, serial: 'SN1', buttons: [], slider: [], leds: [],
  led_colors: [], led_modes: [], audio,
});

test('the audio messages and device.changed become events; device.changed updates devices', () => {
  const { client, socket } = connected();
  const seen = [];
  for (const type of AUDIO_MESSAGE_TYPES) {
    client.addEventListener(type, (ev) => seen.push(ev.detail));
  }
  socket().receive({ type: 'hello', protocol: 1, version: '0.1.0', devices: [device(null)] });
  const messages = [
    { type: 'device.changed', device: device(MIC) },
    { type: 'audio.started', device_id: 'dev1', stream_id: 7, rate: 16000, channels: 1,
      format: 's16le', frame_ms: 20, capture_rate: 48000 },
    { type: 'audio.level', device_id: 'dev1', rms_dbfs: -31.4, peak_dbfs: -12 },
    { type: 'audio.overrun', device_id: 'dev1', dropped_frames: 12 },
    { type: 'audio.stopped', device_id: 'dev1', reason: 'error', message: 'the mic failed' },
  ];
  assert.deepEqual(messages.map((m) => m.type), [...AUDIO_MESSAGE_TYPES]);
  for (const m of messages) socket().receive(m);
  assert.deepEqual(seen, messages);
  assert.deepEqual(client.devices.get('dev1').audio, MIC);
  // A change for a device the client does not list (it was removed) must not resurrect it.
  socket().receive({ type: 'device.changed', device: { ...device(MIC), id: 'gone' } });
  assert.deepEqual([...client.devices.keys()], ['dev1']);
});

test('a stream ended by device_removed or error is followed into its restart', () => {
  const { client, socket } = connected();
  const got = [];
  client.subscribeAudio('dev1', {}, (samples, info) => got.push([info.streamId, info.sequence]));
  socket().receive({ type: 'audio.started', device_id: 'dev1', stream_id: 7 });
  socket().receive(frame({ streamId: 7, sequence: 0, samples: [1] }));
  socket().receive({ type: 'audio.stopped', device_id: 'dev1', reason: 'device_removed' });
  socket().receive(frame({ streamId: 7, sequence: 1, samples: [1] }));   // after its end
  // The unit is back: the daemon restarts the stream with a new id, no new audio.start.
  socket().receive({ type: 'audio.started', device_id: 'dev1', stream_id: 8 });
  socket().receive(frame({ streamId: 8, sequence: 0, samples: [1] }));
  socket().receive({ type: 'audio.stopped', device_id: 'dev1', reason: 'error', message: 'x' });
  socket().receive({ type: 'audio.started', device_id: 'dev1', stream_id: 9 });
  socket().receive(frame({ streamId: 9, sequence: 0, samples: [1] }));
  assert.deepEqual(got, [[7, 0], [8, 0], [9, 0]]);
  assert.deepEqual(socket().messages.map((m) => m.type), ['audio.start'], 'nothing re-sent');
});

test('subscriptions to one device share its stream; audio.stop goes with the last one', () => {
  const { client, socket } = connected();
  const a = [];
  const b = [];
  const stopA = client.subscribeAudio('dev1', {}, (s, info) => a.push(info.streamId));
  socket().receive({ type: 'audio.started', device_id: 'dev1', stream_id: 7 });
  const stopB = client.subscribeAudio('dev1', { rate: 48000, frameMs: 10 },
    (s, info) => b.push(info.streamId));
  assert.deepEqual(socket().messages.at(-1),
    { type: 'audio.start', device_id: 'dev1', rate: 48000, frame_ms: 10 });
  // The daemon replaces the device's stream: the old one ends, the new one serves both.
  socket().receive({ type: 'audio.stopped', device_id: 'dev1', reason: 'client' });
  socket().receive({ type: 'audio.started', device_id: 'dev1', stream_id: 8 });
  socket().receive(frame({ streamId: 8, samples: [1] }));
  assert.deepEqual([a, b], [[8], [8]]);
  socket().sent.length = 0;
  stopA();
  assert.deepEqual(socket().messages, [], 'the other subscription still listens');
  socket().receive(frame({ streamId: 8, sequence: 1, samples: [1] }));
  assert.deepEqual([a, b], [[8], [8, 8]]);
  stopB();
  assert.deepEqual(socket().messages, [{ type: 'audio.stop', device_id: 'dev1' }]);
});

test('unsubscribing while disconnected sends nothing, and nothing is renewed', () => {
  const WebSocketImpl = fakeWebSocketClass();
  const timers = fakeTimers();
  const client = new DictabridgeClient({
    WebSocketImpl, fetchImpl: fakeFetch('nothing'), timers, random: () => 0,
  });
  client.connect();
  const stop = client.subscribeAudio('dev1', {}, () => {});
  stop();
  WebSocketImpl.instances.at(-1).open();
  assert.deepEqual(WebSocketImpl.instances.at(-1).messages.filter((m) => m.type.startsWith('audio')),
                   []);
});

test('a stream nobody subscribes to is stopped when it starts', () => {
  const { client, socket } = connected();
  const stop = client.subscribeAudio('dev1', {}, () => {});
  stop();
  socket().sent.length = 0;
  // e.g. a stream stopped while its unit was unplugged, restarted when it came back
  socket().receive({ type: 'audio.started', device_id: 'dev1', stream_id: 4 });
  assert.deepEqual(socket().messages, [{ type: 'audio.stop', device_id: 'dev1' }]);
});
