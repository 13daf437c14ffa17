"""`dictabridge record` and doctor's audio check against the real daemon, with a FIFO-fed
ALSA microphone (audio_env.FifoMic) named by --audio-device. `mic` runs faster than real
time (quick, sample-exact tests); `live_mic` at 16 kHz, for tests that act while a
recording runs."""

import json
import signal
import subprocess
import time
import wave

import numpy as np
import pytest

import emu as E
from audio_env import FifoMic, assert_fed_pattern, pattern
from child import tied
from daemon import base_env, cli_binary
from test_cli import cli, dev_id, doctor, doctor_lines, out_json


@pytest.fixture
def live_mic(tmp_path):
    m = FifoMic(tmp_path / 'home', pace=16000)
    yield m
    m.close()


def read_wav(path):
    with wave.open(str(path), 'rb') as w:
        assert (w.getnchannels(), w.getsampwidth(), w.getcomptype()) == (1, 2, 'NONE')
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype='<i2')


def wait_recorded(path, samples, timeout=30.0):
    """Waits until the WAV being written at path holds more than `samples` samples (the
    file past its 44-byte header): what a test needs recorded before it cuts the recording
    short, where a fixed sleep gets less on a loaded machine."""
    deadline = time.monotonic() + timeout
    while not (path.exists() and path.stat().st_size > 44 + 2 * samples):
        assert time.monotonic() < deadline, '%s: %d samples not recorded within %.0fs' % (
            path, samples, timeout)
        time.sleep(0.05)


def spawn_with_mic(spawn, mic, unit=None):
    unit = unit or E.speechmike(serial='CLIAUD1')
    return unit, spawn(unit, args=['--audio-device', mic.name])


def test_record_seconds_is_sample_exact(spawn, mic, tmp_path):
    u, d = spawn_with_mic(spawn, mic)
    mic.feed(pattern(16000 * 3))
    out = tmp_path / 'f.wav'
    r = cli(['record', '--seconds', '1', '--out', out, '--port', d.port], tmp_path / 'home')
    assert r.returncode == 0, r.stderr
    rate, samples = read_wav(out)
    assert rate == 16000 and len(samples) == 16000, (rate, len(samples))
    assert_fed_pattern(samples)
    assert r.stderr.startswith('recorded 1.00 s from %s (' % dev_id(u)), r.stderr
    assert '0 frames lost in 0 gaps, 0 overruns' in r.stderr, r.stderr
    assert r.stdout == ''


def test_record_json_summary(spawn, mic, tmp_path):
    u, d = spawn_with_mic(spawn, mic)
    mic.feed(pattern(16000 * 3))
    out = tmp_path / 'f.wav'
    j = out_json(cli(['--json', 'record', '--seconds', '0.5', '--out', out,
                      '--port', d.port], tmp_path / 'home'))
    assert j['ok'] is True, j
    assert j['device_id'] == dev_id(u) and j['file'] == str(out) and j['rate'] == 16000
    assert j['samples'] == 8000 and j['seconds'] == 0.5, j
    assert j['frames'] >= 25 and j['gaps'] == 0 and j['dropped_frames'] == 0, j
    assert j['overruns'] == 0 and j['stop_reason'] == 'client', j
    assert j['interrupted'] is False
    assert read_wav(out)[1].size == 8000


def test_record_at_8000_hz(spawn, mic, tmp_path):
    _, d = spawn_with_mic(spawn, mic)
    mic.feed(pattern(16000 * 4))
    out = tmp_path / 'f.wav'
    r = cli(['record', '--rate', '8000', '--seconds', '1', '--out', out, '--port', d.port],
            tmp_path / 'home')
    assert r.returncode == 0, r.stderr
    rate, samples = read_wav(out)
    assert rate == 8000 and abs(len(samples) - 8000) <= 160, (rate, len(samples))


def test_record_to_a_pipe(spawn, mic, tmp_path):
    _, d = spawn_with_mic(spawn, mic)
    mic.feed(pattern(16000 * 2))
    e = base_env(tmp_path / 'home')
    p = subprocess.run([cli_binary(), 'record', '--seconds', '0.25', '--port', str(d.port)],
                       env=e, capture_output=True, timeout=20, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert p.stdout[:4] == b'RIFF' and p.stdout[8:16] == b'WAVEfmt '
    data = np.frombuffer(p.stdout[44:], dtype='<i2')
    assert len(data) == 4000
    assert_fed_pattern(data)


def test_record_without_a_microphone(spawn, tmp_path):
    d = spawn(E.speechmike(serial='CLINOMIC'))
    out = tmp_path / 'f.wav'
    r = cli(['record', '--seconds', '1', '--out', out, '--port', d.port], tmp_path / 'home')
    assert r.returncode == 1, r
    assert 'no connected device has a microphone' in r.stderr, r.stderr
    assert dev_id(E.speechmike(serial='CLINOMIC')) in r.stderr
    assert not out.exists()
    j = out_json(cli(['record', '--json', '--out', out, '--port', d.port], tmp_path / 'home'))
    assert j['ok'] is False and j['error'] == 'no_microphone', j
    r = cli(['record', '--device', 'CLINOMIC', '--out', out, '--port', d.port],
            tmp_path / 'home')
    assert r.returncode == 1 and 'has no microphone' in r.stderr, r
    r = cli(['record', '--device', 'NOSUCH', '--out', out, '--port', d.port],
            tmp_path / 'home')
    assert r.returncode == 1 and "no device 'NOSUCH' is connected" in r.stderr, r


def test_record_usage_errors(tmp_path):
    home = tmp_path / 'home'
    for args, text in ((['--seconds', '0'], "--seconds: '0'"),
                       (['--rate', 'fast'], "--rate: 'fast'"),
                       (['--out'], '--out needs a value'),
                       (['extra'], "unexpected 'extra'"),
                       (['--json', '--seconds', '1'], '--out FILE')):
        r = cli(['record'] + args + ['--port', '1'], home)
        assert r.returncode == 2 and text in r.stderr, (args, r)


def test_record_unplug_mid_recording(spawn, emu, live_mic, tmp_path):
    u, d = spawn_with_mic(spawn, live_mic)
    live_mic.feed(pattern(16000 * 10))
    out = tmp_path / 'f.wav'
    p = subprocess.Popen(tied([cli_binary(), '--json', 'record', '--out', str(out),
                               '--port', str(d.port)]), env=base_env(tmp_path / 'home'),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_recorded(out, 8000)
    emu.unplug(u)
    stdout, stderr = p.communicate(timeout=15)
    assert p.returncode == 1, (stdout, stderr)
    assert 'unplugged' in stderr, stderr
    j = json.loads(stdout)
    assert j['ok'] is False and j['error'] == 'device_removed', j
    assert j['stop_reason'] == 'device_removed'
    rate, samples = read_wav(out)
    assert rate == 16000 and len(samples) == j['samples'] > 8000, (len(samples), j)
    assert_fed_pattern(samples)


@pytest.mark.parametrize('sig', [signal.SIGINT, signal.SIGTERM])
def test_record_until_a_signal(spawn, live_mic, tmp_path, sig):
    _, d = spawn_with_mic(spawn, live_mic)
    live_mic.feed(pattern(16000 * 10))
    out = tmp_path / 'f.wav'
    p = subprocess.Popen(tied([cli_binary(), 'record', '--out', str(out), '--port', str(d.port)]),
                         env=base_env(tmp_path / 'home'), stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    wait_recorded(out, 8000)
    p.send_signal(sig)
    stdout, stderr = p.communicate(timeout=10)
    assert p.returncode == 0, stderr
    assert stderr.startswith('recorded '), stderr
    rate, samples = read_wav(out)
    assert rate == 16000 and 8000 < len(samples) < 16000 * 3, len(samples)
    assert_fed_pattern(samples)
    # the daemon closed the microphone: audio.stop, not a dropped connection
    d.wait_status(lambda st: st.get('clients') == 0, what='no clients')


def test_doctor_audio_check(spawn, emu, mic, tmp_path):
    with_mic = E.speechmike(serial='CLIDOCA')
    d = spawn(with_mic, args=['--audio-device', mic.name])
    checks = doctor_lines(doctor(d.port, tmp_path / 'home', '--config', d.config_path))
    assert checks['audio'] == [
        ('OK', '%s (%s): microphone %s (from the configuration)' % (
            dev_id(with_mic), d.status()['devices'][0]['model'], mic.name), None)], checks
    d.stop()
    emu.unplug(with_mic)

    pm = E.powermic4(serial='CLIDOCB')
    pedal = E.foot_control(serial='CLIDOCC')
    d2 = spawn(pm, pedal, name='nomic')
    r = doctor(d2.port, tmp_path / 'home', '--config', d2.config_path)
    audio = {detail.split()[0]: (v, detail, fix) for v, detail, fix in doctor_lines(r)['audio']}
    v, detail, fix = audio[dev_id(pm)]
    assert v == 'WARN' and 'has no microphone' in detail, audio
    assert '--audio-device' in fix and '"audio"' in fix, fix
    assert audio[dev_id(pedal)][0] == 'OK', audio
    assert r.returncode == 0, r.stdout
    j = out_json(doctor(d2.port, tmp_path / 'home', '--config', d2.config_path, '--json'))
    assert sorted(c['verdict'] for c in j['checks'] if c['check'] == 'audio') == ['OK', 'WARN']
