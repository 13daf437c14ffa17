import { fakeWebSocketClass, fakeFetch, fakeTimers } from './fakes.mjs';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DictabridgeClient, decodeAudioFrame } from '../../web/dictabridge.js';

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
  assert.deepEqual(socket().messages, [{ type: 'audio.stop', device_id: 'dev1', stream_id: 9 }]);
  socket().receive(frame({ streamId: 9, samples: [1] }));
  assert.equal(got.length, 1);
});
