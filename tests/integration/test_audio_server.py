"""Capture through the user's sound server (a private PulseAudio server; for sharing, also
PipeWire with pipewire-pulse): the daemon and another client of the server (parec,
standing in for the browser's getUserMedia) record the same source at once, a unit's sound card is found among the server's sources by its
properties, and a server that dies mid-stream ends the stream and nothing else."""

import asyncio

import numpy as np
import pytest

import emu as E
from audio_env import PulseMic, decode_frame, dominant_frequency, level_dbfs, tone
from client import Client
from test_cli import cli, doctor_lines, rules_dir

RATE = 48000


@pytest.fixture
def pulse(request, tmp_path):
    """PulseAudio, or what parametrize(..., indirect=True) names ('pipewire')."""
    with PulseMic(tmp_path / 'pulse', rate=RATE,
                  server=getattr(request, 'param', 'pulseaudio')) as p:
        yield p


@pytest.fixture
def recorders():
    started = []
    yield started
    for r in started:
        r.stop()


async def start(c, dev_id, **kw):
    await c.send(dict({'type': 'audio.start', 'device_id': dev_id}, **kw))
    return await c.expect('audio.started', device_id=dev_id, timeout=10)


def assert_tone(samples, rate, what):
    """The fed 1 kHz tone at -15 dBFS RMS (amplitude 0.25), not silence or another source.
    Judged per 100 ms block: the player may underrun on a loaded machine (a silent
    stretch or a skip, in every recording of the source alike), which is the test's
    feed, not the capture."""
    x = np.asarray(samples, dtype=np.int16)
    blocks = [x[i:i + rate // 10] for i in range(0, len(x) - rate // 10 + 1, rate // 10)]
    tone_blocks = [b for b in blocks if abs(level_dbfs(b)[0] + 15.05) < 1.0]
    assert len(tone_blocks) >= max(3, len(blocks) // 2), '%s: %d of %d blocks hold the tone' % (
        what, len(tone_blocks), len(blocks))
    in_tune = [b for b in tone_blocks if abs(dominant_frequency(b, rate) - 1000.0) < 2.0]
    assert len(in_tune) >= max(3, len(tone_blocks) * 2 // 3), '%s: %d of %d blocks at 1 kHz' % (
        what, len(in_tune), len(tone_blocks))


def stream_samples(c, since=0):
    return np.concatenate([decode_frame(raw)[4] for _, raw in c.frames[since:]])


async def record_beside(c, dev_id, pulse, recorders, daemon_first, via, who, new_recorder):
    """The daemon's stream of dev_id and another program (new_recorder()) record the fed
    tone at once, started in either order: both get it, no frame is lost, nothing ends."""
    pulse.play(tone(1000, RATE, 1.0, 0.25), RATE, loop=True)
    if not daemon_first:
        recorders.append(new_recorder())
        recorders[0].wait_samples(RATE // 2)
    started = await start(c, dev_id, rate=RATE)
    assert started['via'] == via and started['capture_rate'] == RATE, started
    if daemon_first:
        await c.wait_frames(10, timeout=10)
        recorders.append(new_recorder())
    rec = recorders[0]
    n = len(c.frames)
    await c.wait_frames(n + 50, timeout=10)                       # 1 s at 20 ms
    got = rec.wait_samples(len(rec.samples()) + RATE, timeout=10)
    assert_tone(stream_samples(c, n), RATE, 'the daemon\'s stream')
    assert_tone(got, RATE, who)
    seqs = [decode_frame(raw)[1] for _, raw in c.frames]
    assert seqs == list(range(len(seqs))), 'frames lost while sharing'
    assert not [m for m in c.backlog if m['type'] in ('audio.stopped', 'error')], c.backlog
    return started


async def other_leaves(c, recorders):
    """The other program leaving does not disturb the daemon's stream either."""
    recorders[0].stop()
    n = len(c.frames)
    await c.wait_frames(n + 25, timeout=10)


@pytest.mark.parametrize('pulse', ['pulseaudio', 'pipewire'], indirect=True)
@pytest.mark.parametrize('daemon_first', [True, False], ids=['daemon-first', 'parec-first'])
async def test_daemon_and_another_client_record_the_same_source(spawn, pulse, recorders,
                                                                 daemon_first):
    d = spawn(E.speechmike(), args=['--audio-device', pulse.source], env=pulse.env)
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    started = await record_beside(c, dev_id, pulse, recorders, daemon_first, 'pulse', 'parec',
                                  lambda: pulse.recorder(pulse.source))
    assert 'through the sound server' in d.log()
    await other_leaves(c, recorders)


async def test_a_units_card_is_found_among_the_servers_sources(spawn, pulse, emu):
    u = E.speechmike(serial='SRVPAIR')
    u.sound_card = 5
    emu.plug(u)
    card_path = emu._sound_paths(u)[1][len('/sys'):]
    # A silent source claiming the same card number from another sysfs device, and the
    # unit's own (the tone): the sysfs path decides.
    pulse.add_source('decoy', {'alsa.card': '5', 'sysfs.path': '/devices/elsewhere/sound/card5',
                               'device.description': 'decoy'})
    pulse.add_source('unit_mic', {'alsa.card': '5', 'sysfs.path': card_path,
                                  'device.description': 'SpeechMike-card'},
                     master=pulse.source)
    pulse.pactl('set-default-source', 'decoy')
    d = spawn(env=pulse.env, devices=1)
    c = await Client.connect(d.port)
    dev = c.hello['devices'][0]
    assert dev['audio']['source'] == 'paired' and dev['audio']['card'] == 5, dev
    assert dev['audio']['via'] is None, dev        # not known before the first capture
    pulse.play(tone(1000, RATE, 1.0, 0.25), RATE, loop=True)
    started = await start(c, dev['id'])
    assert started['via'] == 'pulse', started
    # The route, and that a browser would record another microphone: in the device object.
    changed = await c.expect('device.changed', timeout=5)
    assert changed['device']['audio'] == dict(dev['audio'], via='pulse', server_source='unit_mic',
                                              default_input=False), changed
    await c.wait_frames(60, timeout=10)
    assert_tone(stream_samples(c, 10), 16000, 'the paired source')
    assert "capturing from 'SpeechMike-card' through the sound server" in d.log()
    # The command `dictabridge doctor` prints makes it the browser's microphone; the next
    # capture sees it.
    pulse.pactl('set-default-source', 'unit_mic')
    await c.send({'type': 'audio.stop', 'device_id': dev['id']})
    await c.expect('audio.stopped', reason='client')
    await start(c, dev['id'])
    changed = await c.expect('device.changed', timeout=5)
    assert changed['device']['audio']['default_input'] is True, changed
    assert d.status()['devices'][0]['audio']['default_input'] is True


async def test_a_named_source_by_its_description(spawn, pulse):
    pulse.add_source('desk', {'device.description': 'Desk_microphone'}, master=pulse.source)
    d = spawn(E.speechmike(), args=['--audio-device', 'Desk_microphone'], env=pulse.env)
    c = await Client.connect(d.port)
    pulse.play(tone(1000, RATE, 1.0, 0.25), RATE, loop=True)
    started = await start(c, c.hello['devices'][0]['id'])
    assert started['via'] == 'pulse', started
    await c.wait_frames(60, timeout=10)
    assert_tone(stream_samples(c, 10), 16000, 'the described source')


async def test_a_virtual_unit_records_the_configured_source(spawn, pulse):
    """No hardware at all: a virtual unit of a family with a microphone records from the
    configured source; a virtual pedal has none."""
    d = spawn(args=['--virtual-device', 'speechmike', '--virtual-device', 'foot_control',
                    '--audio-device', pulse.source], env=pulse.env, devices=2)
    c = await Client.connect(d.port)
    devs = {dev['family']: dev for dev in c.hello['devices']}
    assert devs['foot_control']['audio'] is None, devs
    sm = devs['speechmike']
    assert sm['virtual'] and sm['audio']['source'] == 'config', sm
    assert sm['audio']['name'] == pulse.source, sm
    pulse.play(tone(1000, RATE, 1.0, 0.25), RATE, loop=True)
    started = await start(c, sm['id'])
    assert started['via'] == 'pulse', started
    await c.wait_frames(60, timeout=10)
    assert_tone(stream_samples(c, 10), 16000, 'the virtual unit\'s stream')


async def test_a_short_frame_is_not_held_for_a_long_one(spawn, pulse):
    """The server's blocks wait until a frame needs them (one wake-up a frame instead of
    one a block), and the first frame due sets the wait: a 10 ms stream beside a 100 ms
    stream of the same microphone still gets a frame every 10 ms, not ten every 100 ms.
    Judged on the median gap between arrivals over two seconds, which a loaded machine
    does not move: held for the long stream, most gaps would be nil."""
    d = spawn(E.speechmike(), args=['--audio-device', pulse.source], env=pulse.env)
    short, long_ = await Client.connect(d.port), await Client.connect(d.port)
    dev_id = short.hello['devices'][0]['id']
    pulse.play(tone(1000, RATE, 1.0, 0.25), RATE, loop=True)
    await start(long_, dev_id, frame_ms=100)
    await start(short, dev_id, frame_ms=10)
    await asyncio.gather(long_.wait_frames(25, timeout=10), short.wait_frames(250, timeout=10))
    arrivals = [t for t, _ in short.frames[50:250]]
    gaps = sorted((b - a) * 1e3 for a, b in zip(arrivals, arrivals[1:]))
    assert gaps[len(gaps) // 2] > 5, 'median gap %.1f ms' % gaps[len(gaps) // 2]
    for c in (short, long_):
        seqs = [decode_frame(raw)[1] for _, raw in c.frames]
        assert seqs == list(range(len(seqs))), 'frames lost'


async def test_source_removed_mid_stream_ends_the_stream_without_moving(spawn, pulse):
    module = pulse.add_source('desk', {'device.description': 'Desk_microphone'},
                              master=pulse.source)
    d = spawn(E.speechmike(), args=['--audio-device', 'desk'], env=pulse.env)
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    pulse.play(tone(1000, RATE, 1.0, 0.25), RATE, loop=True)
    assert (await start(c, dev_id))['via'] == 'pulse'
    await c.wait_frames(10, timeout=10)
    # The source goes (its card unplugged): the stream ends, it does not quietly record
    # whatever the server would move it to.
    pulse.pactl('unload-module', str(module))
    stopped = await c.expect('audio.stopped', timeout=10)
    assert stopped['reason'] == 'error' and 'microphone stopped' in stopped['message'], stopped
    d.wait_log(r'capture closed')
    n = len(c.frames)
    await c.nothing(500, type_='audio.started')
    assert len(c.frames) == n
    await c.ping()


async def test_a_new_microphone_mid_stream_ends_the_stream_on_the_old_one(spawn, pulse, emu):
    u = E.speechmike(serial='SRVMOVE')
    d = spawn(u, args=['--audio-device', pulse.source], env=pulse.env)
    c = await Client.connect(d.port)
    dev_id = c.hello['devices'][0]['id']
    pulse.play(tone(1000, RATE, 1.0, 0.25), RATE, loop=True)
    first = await start(c, dev_id)
    await c.wait_frames(10, timeout=10)
    # The unit's own sound card arrives (the server has its source by then): it is the
    # unit's microphone now, and the stream does not go on recording the configured one.
    u.sound_card = 5
    pulse.add_source('unit_mic', {'alsa.card': '5',
                                  'sysfs.path': emu._sound_paths(u)[1][len('/sys'):],
                                  'device.description': 'SpeechMike-card'},
                     master=pulse.source)
    emu.add_sound_card(u, 5)
    await c.expect('device.changed', timeout=5,
                   pred=lambda m: (m['device']['audio'] or {}).get('source') == 'paired')
    stopped = await c.expect('audio.stopped', timeout=5)
    assert stopped['reason'] == 'error' and 'microphone changed' in stopped['message'], stopped
    # The stream restarts by itself on the unit's own microphone, whether or not frames of
    # the old one were still queued for the client when it changed.
    again = await c.expect('audio.started', device_id=dev_id, timeout=10)
    assert again['stream_id'] != first['stream_id'], again
    d.wait_log(r"capturing from 'SpeechMike-card' through the sound server", timeout=10)
    n = len(c.frames)
    await c.wait_frames(n + 10, timeout=10)


async def test_server_killed_mid_stream_ends_the_stream_and_nothing_else(spawn, pulse, emu):
    u = E.speechmike(serial='SRVKILL')
    d = spawn(u, args=['--audio-device', pulse.source], env=pulse.env)
    c = await Client.connect(d.port)
    other = await Client.connect(d.port, name='other')
    dev_id = c.hello['devices'][0]['id']
    pulse.play(tone(1000, RATE, 1.0, 0.25), RATE, loop=True)
    assert (await start(c, dev_id))['via'] == 'pulse'
    await c.wait_frames(10, timeout=10)
    pulse.server.kill()
    stopped = await c.expect('audio.stopped', timeout=10)
    assert stopped['reason'] == 'error' and 'sound server' in stopped['message'], stopped
    d.wait_log(r'capture closed')
    # The daemon serves on: both clients answered, the unit still listed, its buttons
    # still delivered, and no stream restarted behind the client's back.
    await c.ping()
    await other.ping()
    assert [x['id'] for x in d.status()['devices']] == [dev_id]
    emu.node(u).send(E.sm_report(0x0001))
    await other.expect('button', device_id=dev_id, timeout=5)
    n = len(c.frames)
    await c.nothing(500, type_='audio.started')
    assert len(c.frames) == n


def test_doctor_says_whether_a_browser_records_the_units_microphone(spawn, pulse, emu,
                                                                     tmp_path):
    u = E.speechmike(serial='SRVDOC')
    u.sound_card = 6
    emu.plug(u)
    pulse.add_webcam_default_and_unit(6, 'SpeechMike-card')
    d = spawn(env=pulse.env, devices=1)

    def browser_check():
        r = cli(['doctor', '--port', d.port, '--config', d.config_path], tmp_path / 'home',
                env=dict(pulse.env, DICTABRIDGE_UDEV_RULES_DIRS=str(rules_dir())))
        checks = doctor_lines(r)
        assert len(checks.get('browser', [])) == 1, r.stdout
        return checks['browser'][0]

    verdict, detail, fix = browser_check()
    assert verdict == 'WARN' and 'webcam' in detail and 'SpeechMike-card' in detail, detail
    assert fix == 'pactl set-default-source unit_mic', fix
    pulse.pactl(*fix.split()[1:])               # the printed command, as the user would
    verdict, detail, fix = browser_check()
    assert verdict == 'OK' and 'SpeechMike-card' in detail, detail
    # The server gone: nothing to say about the browser, and no failure for it.
    pulse.close()
    verdict, detail, _ = browser_check()
    assert verdict == 'SKIP' and 'sound server' in detail, detail
