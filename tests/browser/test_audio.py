"""The demo page's microphone panel in headless Chromium against the real daemon: Listen
streams an emulated SpeechMike's microphone (a FIFO-fed ALSA PCM, see audio_env.FifoMic),
the meter follows the daemon's audio.level, frames are counted, and the end of a stream
(stopped by the page, unplugged unit) is shown; a unit without a microphone cannot be
listened to and says why."""

import time

import pytest

import emu as E
from audio_env import FifoMic, PulseMic, tone
from conftest import ARTIFACTS

TONE_RMS_DB = -15.1   # a sine at a quarter of full scale: -12.04 dBFS peak, 3.01 dB less RMS
TOLERANCE_DB = 2.0


def row(dev_id):
    return "document.querySelector('#audio li[data-device-id=\"%s\"]')" % dev_id


def open_demo(b, d, n_devices):
    b.open('main', 'http://127.0.0.1:%d/demo/' % d.port)
    b.wait('main', "document.querySelector('#conn').dataset.status === 'open'",
           what='connected to the daemon')
    b.wait('main', "document.querySelectorAll('#audio li[data-device-id]').length === %d"
           % n_devices, what='%d microphone rows' % n_devices)


def row_state(b, dev_id):
    return b.eval('main', """(() => { const r = %s; return {
        phase: r.dataset.phase, reason: r.dataset.reason ?? null,
        button: r.querySelector('.listen').textContent,
        disabled: r.querySelector('.listen').disabled,
        status: r.querySelector('.status').textContent,
        frames: Number(r.querySelector('.frames').textContent),
        overruns: Number(r.querySelector('.overruns').textContent),
        rms: r.querySelector('.db').dataset.rms, peak: r.querySelector('.db').dataset.peak,
        meter: r.querySelector('meter').value }; })()""" % row(dev_id))


@pytest.fixture
def mic(tmp_path):
    # Paced like a real 16 kHz microphone, so that the tone lasts while the page is watched.
    m = FifoMic(tmp_path / 'home', pace=16000)
    yield m
    m.close()


def test_audio_listen_shows_level_frames_and_stop(spawn, emu, browser, mic):
    sm = E.speechmike(serial='E2EMIC1')
    d = spawn(sm, args=['--audio-device', mic.name])
    dev_id = '0911-0c1c-E2EMIC1'
    open_demo(browser, d, 1)
    st = row_state(browser, dev_id)
    assert st['phase'] == 'idle' and st['button'] == 'Listen' and not st['disabled'], st
    assert mic.name in browser.eval('main', row(dev_id) + ".querySelector('.why').textContent")
    assert 'capturing' not in d.log(), 'the microphone was opened before Listen'

    mic.feed(tone(1000, 16000, 30.0, 0.25))
    browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
    browser.wait('main', row(dev_id) + ".dataset.phase === 'listening'", what='audio.started',
                 timeout=10)
    browser.wait('main', "(() => { const v = Number(%s.querySelector('.db').dataset.rms || -999);"
                         " return Math.abs(v - (%r)) <= %r; })()"
                 % (row(dev_id), TONE_RMS_DB, TOLERANCE_DB),
                 what='the meter near %.1f dBFS RMS' % TONE_RMS_DB, timeout=10)
    first = row_state(browser, dev_id)
    browser.wait('main', "Number(%s.querySelector('.frames').textContent) >= %d"
                 % (row(dev_id), first['frames'] + 25), what='frames counting up', timeout=5)
    st = row_state(browser, dev_id)
    assert abs(float(st['peak']) - (-12.0)) <= TOLERANCE_DB, st
    assert abs(st['meter'] - float(st['rms'])) < 0.01, st
    assert st['button'] == 'Stop listening' and 'listening: stream' in st['status'], st
    assert '16000 Hz' in st['status'], st
    assert st['overruns'] == 0, st
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = browser.call('screenshot', page='main', path=str(ARTIFACTS / 'demo-audio.png'))
    print('\nscreenshot of the demo page listening: %s' % shot)

    browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
    browser.wait('main', row(dev_id) + ".dataset.phase === 'stopped'", what='audio.stopped')
    st = row_state(browser, dev_id)
    assert st['status'] == 'stopped' and st['reason'] == 'client', st
    assert st['button'] == 'Listen' and st['rms'] == '', st
    d.wait_log(r'capture closed')
    assert st['frames'] > 25, st
    assert browser.eval('main', "!!document.querySelector('#log li[data-reason=\"client\"]')")

    # Listening again starts a new stream; unplugging the unit ends it with device_removed.
    browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
    browser.wait('main', "Number(%s.querySelector('.frames').textContent) >= 10" % row(dev_id),
                 what='frames of the second stream', timeout=10)
    emu.unplug(sm)
    browser.wait('main', row(dev_id) + ".dataset.reason === 'device_removed'",
                 what='audio.stopped device_removed', timeout=10)
    st = row_state(browser, dev_id)
    assert st['phase'] == 'interrupted' and 'device removed' in st['status'], st
    assert st['button'] == 'Stop listening' and not st['disabled'], st
    assert browser.eval('main', row(dev_id) + ".dataset.present") == 'false'
    assert browser.eval('main', "document.querySelectorAll('#devices li[data-device-id]').length") == 0
    shot = browser.call('screenshot', page='main', path=str(ARTIFACTS / 'demo-audio-unplugged.png'))
    print('screenshot after the unplug: %s' % shot)

    # Stopping while the unit is away: its row goes, and when the unit comes back nothing
    # listens (the stop cancels the daemon's restart of the stream).
    browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
    browser.wait('main', "!%s" % row(dev_id), what='the row of the unplugged unit gone')
    emu.plug(sm)
    browser.wait('main', row(dev_id) + "?.dataset.present === 'true'", what='the unit back',
                 timeout=10)
    st = row_state(browser, dev_id)
    assert st['button'] == 'Listen' and st['phase'] == 'idle' and not st['disabled'], st
    time.sleep(0.5)
    assert d.log().count('capturing from') == 2, 'the microphone was opened again'
    assert browser.eval('main', "%s.querySelector('.frames').textContent" % row(dev_id)) == '0'


def test_audio_unit_without_microphone_cannot_listen(spawn, browser):
    d = spawn(E.speechmike(serial='E2ENOMIC'))   # no --audio-device, no sound card
    dev_id = '0911-0c1c-E2ENOMIC'
    open_demo(browser, d, 1)
    st = row_state(browser, dev_id)
    assert st['disabled'] and st['button'] == 'Listen' and st['phase'] == 'idle', st
    why = browser.eval('main', row(dev_id) + ".querySelector('.why').textContent")
    assert why.startswith('No microphone') and '--audio-device' in why, why
    described = browser.eval('main', row(dev_id) + ".querySelector('.listen')"
                                     ".getAttribute('aria-describedby')").split()
    why_id = browser.eval('main', row(dev_id) + ".querySelector('.why').id")
    assert why_id in described
    assert browser.eval('main', row(dev_id) + ".dataset.audio") == 'none'
    assert 'capturing' not in d.log()


def test_audio_route_shows_whether_a_browser_records_the_same_microphone(spawn, emu, browser,
                                                                         tmp_path):
    with PulseMic(tmp_path / 'pulse') as pulse:
        sm = E.speechmike(serial='E2EROUTE')
        sm.sound_card = 4
        emu.plug(sm)
        pulse.add_webcam_default_and_unit(4, 'SpeechMike')
        d = spawn(env=pulse.env, devices=1)
        dev_id = '0911-0c1c-E2EROUTE'
        open_demo(browser, d, 1)
        route = row(dev_id) + ".querySelector('.route').textContent"
        assert browser.eval('main', route) == '', 'a route shown before any capture'
        browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
        browser.wait('main', row(dev_id) + ".dataset.defaultInput === 'no'",
                     what='the route of the capture', timeout=10)
        assert 'pactl set-default-source unit_mic' in browser.eval('main', route)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        browser.call('screenshot', page='main', path=str(ARTIFACTS / 'demo-audio-route.png'))
        browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
        browser.wait('main', row(dev_id) + ".dataset.phase === 'stopped'", what='audio.stopped')
        pulse.pactl('set-default-source', 'unit_mic')
        browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
        browser.wait('main', row(dev_id) + ".dataset.defaultInput === 'yes'",
                     what='the default input now the unit', timeout=10)
        assert 'a browser records it too' in browser.eval('main', route)
        browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
        browser.wait('main', row(dev_id) + ".dataset.phase === 'stopped'", what='audio.stopped')


def test_audio_route_shows_a_card_shared_through_alsa(spawn, emu, browser, tmp_path):
    # No sound server for the daemon: the paired card goes through ALSA's dsnoop, emulated
    # over a private PulseAudio server (see tests/integration/test_audio_dsnoop.py).
    with PulseMic(tmp_path / 'pulse') as pulse:
        pulse.emulate_dsnoop(tmp_path / 'home')
        pulse.add_source('card4', {'alsa.card': '4'}, master=pulse.source)
        sm = E.speechmike(serial='E2EDSNOOP')
        sm.sound_card = 4
        emu.plug(sm)
        d = spawn(devices=1)
        dev_id = '0911-0c1c-E2EDSNOOP'
        open_demo(browser, d, 1)
        route = row(dev_id) + ".querySelector('.route').textContent"
        browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
        browser.wait('main', route + ".startsWith('captured through ALSA, shared')",
                     what='the shared ALSA route', timeout=10)
        assert browser.eval('main', row(dev_id) + ".dataset.defaultInput") == ''
        browser.call('click', page='main', selector='#audio li[data-device-id="%s"] .listen' % dev_id)
        browser.wait('main', row(dev_id) + ".dataset.phase === 'stopped'", what='audio.stopped')
