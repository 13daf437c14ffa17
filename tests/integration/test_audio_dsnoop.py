"""Capture without a sound server: a unit's paired card is opened shared through ALSA's
dsnoop first, alone (hw) only when that fails, and the device says which.

No sound card exists here, so real dsnoop (which shares a card's capture through shared
memory between the programs that open it) cannot run. The test HOME's .asoundrc redefines
the `dsnoop` PCM instead, as a capture of a private PulseAudio server's source `cardN`
through ALSA's pulse plugin (PulseMic.emulate_dsnoop). The daemon itself finds no sound
server (none on its socket), so it goes through ALSA and opens `dsnoop:CARD=N,RATE=R` by
name, exactly as on a workstation; the other program (arecord) opens `plug:'dsnoop:CARD=N'`,
as ALSA's default device on a USB card does. What this shows: which PCM the daemon opens first, with the
paired card's number, that it reports and logs the shared path, that another program
recording the same PCM at the same time does not disturb it (in either start order), and
that a dsnoop that cannot open leads to the exclusive path, logged and reported; that path
opens the PortAudio device whose name holds `(hw:N,`, here a PCM of that name
(PulseMic.emulate_hw), since PortAudio lists real hw cards only from the kernel's control
devices. What it cannot show: the real dsnoop plugin on a real USB card (its shared
memory, the rate the first program sets), nor a real card refusing dsnoop."""

import pytest

import emu as E
from audio_env import tone
from client import Client
from test_audio_server import assert_tone, other_leaves, record_beside, start, stream_samples
from test_audio_server import pulse, recorders  # noqa: F401 (the same fixtures)

RATE = 48000


def unit_with_card(serial, card):
    u = E.speechmike(serial=serial)
    u.sound_card = card
    return u


@pytest.mark.parametrize('daemon_first', [True, False], ids=['daemon-first', 'arecord-first'])
async def test_paired_card_is_shared_through_dsnoop(spawn, pulse, recorders, tmp_path,
                                                    daemon_first):
    home = tmp_path / 'home'
    pulse.emulate_dsnoop(home)
    pulse.add_source('card5', {'alsa.card': '5'}, master=pulse.source)
    d = spawn(unit_with_card('DSNOOP1', 5))         # no sound server for the daemon
    c = await Client.connect(d.port)
    dev = c.hello['devices'][0]
    assert dev['audio']['source'] == 'paired' and dev['audio']['card'] == 5, dev
    await record_beside(c, dev['id'], pulse, recorders, daemon_first, 'alsa-dsnoop', 'arecord',
                        lambda: pulse.dsnoop_recorder(home, 5))
    changed = await c.expect('device.changed', timeout=5)
    assert changed['device']['audio'] == dict(dev['audio'], via='alsa-dsnoop'), changed
    assert ('capturing from ALSA card 5 shared through dsnoop (dsnoop:CARD=5,RATE=48000) at '
            '48000 Hz, 1 channel\n') in d.log()
    assert 'opening it alone' not in d.log()
    assert d.status()['devices'][0]['audio']['via'] == 'alsa-dsnoop'
    await other_leaves(c, recorders)


async def test_a_card_dsnoop_cannot_open_is_opened_alone(spawn, pulse, tmp_path):
    home = tmp_path / 'home'
    pulse.emulate_dsnoop(home, reachable=False)
    pulse.emulate_hw(home, 6)
    pulse.add_source('card6', {'alsa.card': '6'}, master=pulse.source)
    d = spawn(unit_with_card('DSNOOP2', 6))
    c = await Client.connect(d.port)
    dev = c.hello['devices'][0]
    pulse.play(tone(1000, RATE, 1.0, 0.25), RATE, loop=True)
    started = await start(c, dev['id'], rate=RATE)
    assert started['via'] == 'alsa', started
    changed = await c.expect('device.changed', timeout=5)
    assert changed['device']['audio'] == dict(dev['audio'], via='alsa'), changed
    await c.wait_frames(60, timeout=10)
    assert_tone(stream_samples(c, 10), RATE, 'the card opened alone')
    log = d.log()
    assert 'cannot share ALSA card 6 through dsnoop (dsnoop:CARD=6,RATE=48000 does not open' in log
    assert "capturing from 'emulated card (hw:6,0)' through ALSA at 48000 Hz, 1 channel, " \
        "holding the card alone" in log, log


async def test_no_shared_nor_exclusive_card_is_an_error(spawn, pulse, tmp_path):
    pulse.emulate_dsnoop(tmp_path / 'home', reachable=False)
    d = spawn(unit_with_card('DSNOOP3', 7))
    c = await Client.connect(d.port)
    await c.send({'type': 'audio.start', 'device_id': c.hello['devices'][0]['id']})
    stopped = await c.expect('audio.stopped', timeout=10)
    assert stopped['reason'] == 'error' and 'ALSA card 7' in stopped['message'], stopped
    assert 'cannot share ALSA card 7 through dsnoop' in d.log()
    assert c.hello['devices'][0]['audio']['via'] is None
    await c.ping()
