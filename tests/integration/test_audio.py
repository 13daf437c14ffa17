"""Microphone audio against the real daemon: pairing with the unit's sound card, the
configured override, exact samples end to end, rate conversion, a paced PulseAudio source
(latency, a stalled client, unplug and replug), and every refusal."""

import asyncio
import json
import os
import socket
import time

import numpy as np
import pytest

import emu as E
from audio_env import (PulseMic, assert_fed_pattern, decode_frame, dominant_frequency,
                       pattern, tone)
from client import Client
from daemon import TEST_CONFIG


def samples_of(frames):
    """Decoded frames, checked for one stream and consecutive sequence numbers from 0."""
    out, ids = [], set()
    for i, (_, raw) in enumerate(frames):
        sid, seq, n, _, s = decode_frame(raw)
        ids.add(sid)
        assert seq == i, 'frame %d has sequence number %d' % (i, seq)
        assert len(s) == n
        out.append(s)
    assert len(ids) <= 1, 'frames of several streams: %s' % ids
    return np.concatenate(out) if out else np.zeros(0, np.int16)


async def fed_while_reading(c, mic):
    """Waits until the FIFO microphone has written what it was fed, reading the stream
    meanwhile. A client that stops reading for longer than the daemon queues frames (one
    second) loses the oldest: waiting on the feeder in the event loop did that when a
    loaded machine slowed the feeder (seen once at 48 kHz)."""
    fed = asyncio.ensure_future(asyncio.to_thread(mic.wait_fed))
    while not fed.done():
        await c.wait_frames(len(c.frames) + 1, timeout=10)
    await fed


async def start(c, dev_id, **kw):
    await c.send(dict({'type': 'audio.start', 'device_id': dev_id}, **kw))
    return await c.expect('audio.started', device_id=dev_id, timeout=10)


@pytest.fixture
def pulse(tmp_path):
    with PulseMic(tmp_path / 'pulse') as p:
        yield p


# ---- which microphone ------------------------------------------------------------------

async def test_unit_with_its_own_sound_card_is_paired(spawn):
    paired = E.speechmike(serial='PAIR1')
    paired.sound_card = 3
    lonely = E.speechmike(serial='ALONE1')
    pedal = E.foot_control()
    d = spawn(paired, lonely, pedal)
    c = await Client.connect(d.port)
    by = {x['serial']: x for x in c.hello['devices']}
    assert by['PAIR1']['audio'] == {'card': 3, 'name': 'Mic3', 'source': 'paired',
                                    'via': None, 'server_source': None,
                                    'default_input': None}
    assert by['ALONE1']['audio'] is None
    assert by['FC0001']['audio'] is None
    # /status carries the same
    st = {x['serial']: x for x in d.status()['devices']}
    assert st['PAIR1']['audio']['card'] == 3
    # No microphone: refused, not silently recorded from somewhere else.
    await c.error({'type': 'audio.start', 'device_id': by['ALONE1']['id']}, 'unsupported',
                  'audio.start')
    await c.error({'type': 'audio.start', 'device_id': by['FC0001']['id']}, 'unsupported')
    # Paired, but this machine has no real card 3: a clear error, and the daemon lives on.
    await c.send({'type': 'audio.start', 'device_id': by['PAIR1']['id']})
    stopped = await c.expect('audio.stopped', timeout=10)
    assert stopped['reason'] == 'error' and 'card 3' in stopped['message'], stopped
    await c.ping()


async def test_sound_card_arriving_late_updates_the_device(spawn, emu):
    u = E.speechmike(serial='LATE1')
    d = spawn(u)
    c = await Client.connect(d.port)
    dev = c.hello['devices'][0]
    assert dev['audio'] is None
    emu.add_sound_card(u, 5)
    changed = await c.expect('device.changed')
    assert changed['device']['id'] == dev['id']
    assert changed['device']['audio'] == {'card': 5, 'name': 'Mic5', 'source': 'paired',
                                          'via': None, 'server_source': None,
                                          'default_input': None}
    emu.remove_sound_card(u)
    changed = await c.expect('device.changed')
    assert changed['device']['audio'] is None


async def test_configured_device(spawn):
    u, pedal = E.speechmike(), E.vec_pedal()
    d = spawn(u, pedal, args=['--audio-device', 'desk mic'])
    c = await Client.connect(d.port)
    audio = {x['family']: x['audio'] for x in c.hello['devices']}
    ids = {x['family']: x['id'] for x in c.hello['devices']}
    assert audio['speechmike'] == {'card': None, 'name': 'desk mic', 'source': 'config',
                                   'via': None, 'server_source': None, 'default_input': None}
    assert audio['vec_pedal'] is None    # pedals carry no microphone
    # A name that matches nothing: the stream ends with the reason, nothing is recorded.
    await c.send({'type': 'audio.start', 'device_id': ids['speechmike']})
    stopped = await c.expect('audio.stopped', timeout=10)
    assert stopped['reason'] == 'error' and 'desk mic' in stopped['message'], stopped


async def test_system_default_only_when_the_config_says_so(spawn):
    cfg = dict(TEST_CONFIG, audio={'allow_system_default': True})
    d = spawn(E.speechmike(), E.vec_pedal(), config=cfg)
    c = await Client.connect(d.port)
    audio = {x['family']: x['audio'] for x in c.hello['devices']}
    assert audio['speechmike'] == {'card': None, 'name': 'default', 'source': 'default',
                                   'via': None, 'server_source': None, 'default_input': None}
    assert audio['vec_pedal'] is None


# ---- exact samples --------------------------------------------------------------------

@pytest.mark.parametrize('rate,frame_ms', [(16000, 20), (8000, 60), (48000, 10)])
async def test_samples_arrive_exactly_in_order(spawn, mic, rate, frame_ms):
    d = spawn(E.speechmike(), args=['--audio-device', mic.name])
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    assert 'capturing' not in d.log(), 'the microphone was opened before anyone asked'
    mic.pace = rate * 4
    started = await start(c, dev_id, rate=rate, frame_ms=frame_ms)
    assert started['rate'] == rate and started['capture_rate'] == rate
    assert started['channels'] == 1 and started['format'] == 's16le'
    assert started['frame_ms'] == frame_ms
    n = rate * 2
    mic.feed(pattern(n))
    await fed_while_reading(c, mic)
    per_frame = rate * frame_ms // 1000
    got = np.zeros(0, np.int16)
    while not got.any() or len(got) < int(np.argmax(got != 0)) + n:
        await c.wait_frames(len(c.frames) + 1, timeout=10)
        got = samples_of(c.frames)
    assert_fed_pattern(got, n)
    assert all(decode_frame(f)[2] == per_frame for _, f in c.frames)
    assert {decode_frame(f)[0] for _, f in c.frames} == {started['stream_id']}
    await c.send({'type': 'audio.stop', 'device_id': dev_id})
    st = await c.expect('audio.stopped', timeout=5)
    assert st['reason'] == 'client' and 'message' not in st
    d.wait_log(r'capture closed')


async def test_rate_conversion_keeps_the_tone_and_the_sample_rate(spawn, mic):
    cfg = dict(TEST_CONFIG, audio={'capture_rate': 48000})
    d = spawn(E.speechmike(), config=cfg, args=['--audio-device', mic.name])
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    mic.pace = 48000 * 4
    started = await start(c, dev_id, rate=16000)
    assert started['rate'] == 16000 and started['capture_rate'] == 48000
    seconds = 2
    await c.wait_frames(5, timeout=10)
    mic.feed(tone(1000, 48000, seconds, 0.25))
    await fed_while_reading(c, mic)
    await c.wait_frames(len(c.frames) + 16000 * seconds // 320, timeout=20)
    await c.send({'type': 'audio.stop', 'device_id': dev_id})
    await c.expect('audio.stopped', reason='client', timeout=5)
    got = samples_of(c.frames)
    # The tone: 2 s of 48 kHz in → 2 s of 16 kHz out, give or take the filter's edges.
    loud = np.flatnonzero(np.abs(got) > 1000)
    assert abs(int(loud[-1] - loud[0] + 1) - 16000 * seconds) <= 48, (loud[0], loud[-1])
    freq = dominant_frequency(got[loud[0] + 1600:loud[-1] - 1600], 16000)
    assert abs(freq - 1000.0) < 1.0, freq
    # Ten levels per second of audio. Windows wholly inside the tone read its level; how
    # much silence comes before and after it depends on the machine's speed, so the
    # windows are picked by what they read, not by their place in the list.
    levels = [m for m in c.seen if m['type'] == 'audio.level']
    in_tone = [m for m in levels
               if abs(m['rms_dbfs'] + 15.1) < 0.5 and abs(m['peak_dbfs'] + 12.0) < 0.5]
    assert len(in_tone) >= 15, levels


async def test_two_clients_share_one_capture(spawn, mic):
    d = spawn(E.speechmike(), args=['--audio-device', mic.name])
    a = await Client.connect(d.port, name='a')
    b = await Client.connect(d.port, name='b')
    dev_id = a.hello['devices'][0]['id']
    sa = await start(a, dev_id)
    sb = await start(b, dev_id, rate=8000)
    assert sa['via'] == sb['via'] == 'alsa'     # no sound server here
    assert sa['stream_id'] != sb['stream_id']
    assert sb['capture_rate'] == 16000      # the first stream set the microphone's rate
    await a.wait_frames(50, timeout=10)
    await b.wait_frames(49, timeout=10)
    assert d.log().count('capturing from') == 1
    # A second start replaces the stream: the old one ends for the client, a new id follows.
    await a.send({'type': 'audio.start', 'device_id': dev_id, 'frame_ms': 40})
    await a.expect('audio.stopped', reason='client')
    again = await a.expect('audio.started')
    assert again['stream_id'] not in (sa['stream_id'], sb['stream_id'])
    assert again['frame_ms'] == 40
    # One client leaving does not stop the other.
    await a.close()
    n = len(b.frames)
    await b.wait_frames(n + 20, timeout=10)
    await b.send({'type': 'audio.stop', 'device_id': dev_id})
    await b.expect('audio.stopped', reason='client')
    d.wait_log(r'capture closed')


# ---- refusals ---------------------------------------------------------------------------

async def test_bad_audio_requests_get_clear_errors(spawn, mic):
    d = spawn(E.speechmike(), args=['--audio-device', mic.name])
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    await c.error({'type': 'audio.start', 'device_id': 'nope'}, 'unknown_device', 'audio.start')
    await c.error({'type': 'audio.stop', 'device_id': 'nope'}, 'unknown_device', 'audio.stop')
    for bad in ({'rate': 11025}, {'rate': '16000'}, {'frame_ms': 5}, {'frame_ms': 250},
                {'rate': 22050, 'frame_ms': 10}, {'rate': 16000.5}, {'frame_ms': None}):
        await c.error(dict({'type': 'audio.start', 'device_id': dev_id}, **bad),
                      'invalid_field', 'audio.start')
    await c.error({'type': 'audio.start'}, 'invalid_field')
    # Stopping what is not streaming is answered, not an error.
    await c.send({'type': 'audio.stop', 'device_id': dev_id})
    assert (await c.expect('audio.stopped'))['reason'] == 'client'
    assert 'capturing' not in d.log()
    # Clients never send audio.
    await c.error(b'DBA1' + bytes(20), 'invalid_message')
    await c.ping()


async def test_client_that_disconnects_mid_stream_releases_the_microphone(spawn, mic):
    d = spawn(E.speechmike(), args=['--audio-device', mic.name])
    c = await Client.connect(d.port)
    await start(c, c.hello['devices'][0]['id'])
    await c.wait_frames(5)
    await c.ws.close()
    d.wait_log(r'capture closed')
    c2 = await Client.connect(d.port)
    await c2.ping()


# ---- paced source: PulseAudio --------------------------------------------------------------

async def test_latency_and_pacing_from_a_real_time_source(spawn, pulse, capsys):
    # The microphone at 48 kHz, the client at 16 kHz: the conversion is in the path, and
    # the samples per second of wall-clock time are the client's rate.
    cfg = dict(TEST_CONFIG, audio={'capture_rate': 48000})
    d = spawn(E.speechmike(), config=cfg, args=['--audio-device', pulse.device], env=pulse.env)
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    pulse.play(tone(1000, 48000, 1.0, 0.25), 48000, loop=True)
    started = await start(c, dev_id)
    assert started['capture_rate'] == 48000 and started['rate'] == 16000
    await c.wait_frames(5, timeout=10)
    first = len(c.frames)
    await c.wait_frames(first + 150, timeout=10)     # 3 s at 20 ms
    frames = c.frames[first:]
    lat = []
    for recv_t, raw in frames:
        _, _, n, cap_us, _ = decode_frame(raw)
        end_of_frame = cap_us / 1e6 + n / 16000
        lat.append((recv_t - end_of_frame) * 1000)
    span = frames[-1][0] - frames[0][0]
    rate = (len(frames) - 1) * 320 / span
    lat.sort()
    p50, p99 = lat[len(lat) // 2], lat[int(len(lat) * 0.99)]
    with capsys.disabled():
        print('\naudio latency (capture of last sample -> client): p50 %.2f ms, p99 %.2f ms, '
              'max %.2f ms; %.0f samples/s' % (p50, p99, lat[-1], rate))
    assert abs(rate - 16000) < 16000 * 0.03, rate
    assert min(lat) > -5, 'a frame arrived before it was captured: %.2f ms' % min(lat)
    assert p50 < 100 and p99 < 250, (p50, p99)
    seqs = [decode_frame(f)[1] for _, f in c.frames]
    assert seqs == list(range(len(seqs)))
    got = np.concatenate([decode_frame(f)[4] for _, f in frames])
    assert abs(dominant_frequency(got[:16000], 16000) - 1000.0) < 1.0


def rss_kb(pid):
    with open('/proc/%d/status' % pid) as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise AssertionError('no VmRSS')


class StalledClient:
    """A WebSocket client on a bare socket that stops reading when told: nothing (no
    library, no kernel buffer growth: the receive buffer is fixed small before connecting)
    drains the daemon's queue for it behind its back."""

    def __init__(self, port):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        self.sock.settimeout(5)
        self.sock.connect(('127.0.0.1', port))
        self.sock.sendall((
            'GET / HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n'
            'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n'
            'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: dictabridge.v1\r\n\r\n'
            % port).encode())
        self.buf = b''
        while b'\r\n\r\n' not in self.buf:
            self.buf += self.sock.recv(4096)
        head, _, self.buf = self.buf.partition(b'\r\n\r\n')
        assert head.startswith(b'HTTP/1.1 101'), head

    def send(self, obj):
        data = json.dumps(obj).encode()
        assert len(data) < 126
        mask = os.urandom(4)
        self.sock.sendall(bytes([0x81, 0x80 | len(data)]) + mask +
                          bytes(b ^ mask[i % 4] for i, b in enumerate(data)))

    def read_until(self, done, seconds):
        """Reads until done(texts, frames) holds or `seconds` pass: (texts as dicts, binary
        frames) received so far."""
        deadline = time.monotonic() + seconds
        self.sock.settimeout(0.2)
        texts, frames = [], []
        while time.monotonic() < deadline and not done(texts, frames):
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                break
            self.buf += chunk
            while len(self.buf) >= 2:
                op, n, at = self.buf[0] & 0x0F, self.buf[1] & 0x7F, 2
                if n >= 126:        # a 16- or 64-bit length follows
                    at = 4 if n == 126 else 10
                    if len(self.buf) < at:
                        break
                    n = int.from_bytes(self.buf[2:at], 'big')
                if len(self.buf) < at + n:
                    break
                payload, self.buf = self.buf[at:at + n], self.buf[at + n:]
                if op == 1:
                    texts.append(json.loads(payload))
                elif op == 2:
                    frames.append(payload)
        return texts, frames

    def close(self):
        self.sock.close()


async def test_stalled_client_loses_its_oldest_frames_and_nobody_else_waits(spawn, pulse, emu):
    u = E.speechmike()
    d = spawn(u, args=['--audio-device', pulse.device], env=pulse.env)
    good = await Client.connect(d.port, name='good')
    dev_id = good.hello['devices'][0]['id']
    pulse.play(tone(1000, 48000, 1.0, 0.25), 48000, loop=True)
    stalled = StalledClient(d.port)
    stalled.send({'type': 'audio.start', 'device_id': dev_id})
    await start(good, dev_id)
    await good.wait_frames(25, timeout=10)
    rss0 = rss_kb(d.proc.pid)
    # Eight seconds: several times what a client's queue may hold (one second).
    node = emu.node(u)
    for i in range(8):
        await good.wait_frames(len(good.frames) + 50, timeout=5)
        if i == 4:
            t_press = time.monotonic()
            node.send(E.sm_report(0x0100))      # record
            btn = await good.expect('button', timeout=2)
            assert time.monotonic() - t_press < 0.5, 'a button event waited'
            assert btn['pressed']
            node.send(E.sm_report(0))
    rss1 = rss_kb(d.proc.pid)
    seqs = [decode_frame(f)[1] for _, f in good.frames]
    assert seqs == list(range(len(seqs))), 'the reading client lost frames'
    assert rss1 - rss0 < 4096, 'daemon memory grew %d kB while a client stalled' % (rss1 - rss0)
    # The stalled client reads again: it lost its oldest frames, counted and reported.
    texts, frames = stalled.read_until(
        lambda t, f: any(m['type'] == 'audio.overrun' for m in t) and len(f) > 150, 20)
    stalled.close()
    assert any(t['type'] == 'audio.started' for t in texts), texts[:5]
    overruns = [t for t in texts if t['type'] == 'audio.overrun']
    assert overruns and all(o['device_id'] == dev_id for o in overruns), texts[-5:]
    dropped = sum(o['dropped_frames'] for o in overruns)
    seqs = [decode_frame(f)[1] for f in frames]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    gaps = sum(b - a - 1 for a, b in zip(seqs, seqs[1:]))
    assert gaps > 0, 'no gap although frames were dropped'
    # Reported drops are the gaps so far (a last report may still be due).
    assert 0 < dropped <= gaps + 50, (dropped, gaps)
    await good.ping()


async def test_unplug_stops_the_stream_and_replug_resumes_it(spawn, pulse, emu):
    u = E.speechmike(serial='RESUME1')
    d = spawn(u, args=['--audio-device', pulse.device], env=pulse.env)
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    pulse.play(tone(1000, 48000, 1.0, 0.25), 48000, loop=True)
    first = await start(c, dev_id)
    await c.wait_frames(10, timeout=10)
    emu.unplug(u)
    await c.expect('device.removed', device_id=dev_id, timeout=5)
    stopped = await c.expect('audio.stopped', timeout=5)
    assert stopped['reason'] == 'device_removed'
    d.wait_log(r'capture closed')
    n = len(c.frames)
    await c.nothing(300, type_='audio.started')
    assert len(c.frames) == n, 'frames after audio.stopped'
    emu.plug(u)
    await c.expect('device.added', timeout=5)
    again = await c.expect('audio.started', device_id=dev_id, timeout=10)
    assert again['stream_id'] != first['stream_id']
    await c.wait_frames(n + 10, timeout=10)
    resumed = [decode_frame(f) for _, f in c.frames[n:]]
    assert {r[0] for r in resumed} == {again['stream_id']}
    assert [r[1] for r in resumed] == list(range(len(resumed)))


async def test_stop_while_unplugged_cancels_the_restart(spawn, mic, emu):
    u = E.speechmike(serial='CANCEL1')
    d = spawn(u, args=['--audio-device', mic.name])
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    await start(c, dev_id)
    await c.wait_frames(3)
    emu.unplug(u)
    assert (await c.expect('audio.stopped'))['reason'] == 'device_removed'
    await c.expect('device.removed')
    # The client changes its mind while the unit is away: answered, and forgotten.
    await c.send({'type': 'audio.stop', 'device_id': dev_id})
    assert (await c.expect('audio.stopped'))['reason'] == 'client'
    d.wait_log(r'capture closed')
    emu.plug(u)
    await c.expect('device.added')
    await c.nothing(800, type_='audio.started')
    assert d.log().count('capturing from') == 1, 'the microphone was opened again'


async def test_microphone_vanishing_mid_stream_ends_it_with_an_error(spawn, pulse):
    d = spawn(E.speechmike(), args=['--audio-device', pulse.device], env=pulse.env)
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    pulse.play(tone(1000, 48000, 1.0, 0.25), 48000, loop=True)
    await start(c, dev_id)
    await c.wait_frames(10, timeout=10)
    # The sound server behind the microphone dies: the stream ends with the reason, the
    # microphone is released, and the daemon serves on.
    pulse.server.kill()
    stopped = await c.expect('audio.stopped', timeout=10)
    assert stopped['reason'] == 'error' and stopped['message'], stopped
    d.wait_log(r'capture closed')
    await c.ping()
    n = len(c.frames)
    await c.nothing(500, type_='audio.started')
    assert len(c.frames) == n
