"""Fixtures shared by the integration and browser tests: the device emulator and the
daemons a test starts. A conftest imports them by name."""

import pytest

import daemon as daemon_mod
import emu as emu_mod
from audio_env import FifoMic


def daemon_log_sections(item, call):
    """Report sections holding the logs of the daemons a failed test started."""
    return [('%s log (%s)' % (d.name, call.when), d.log()[-20000:] or '(empty)')
            for d in getattr(item, '_daemons', [])]


@pytest.fixture
def emu():
    e = emu_mod.Emulator()
    yield e
    e.close()


@pytest.fixture
def daemon_args():
    """Arguments every daemon of a test starts with (a folder's conftest may override)."""
    return ()


@pytest.fixture
def spawn(request, emu, tmp_path, daemon_args):
    """spawn(*units, config=TEST_CONFIG, args=(), wait=True, devices=None, name=..., env=None):
    plugs `units`, starts a daemon and waits until /status answers and lists `devices`
    devices (default: one per unit). Teardown stops every daemon it started and fails the
    test on a crash, a sanitizer report, or a daemon that ignores SIGTERM."""
    started = []
    request.node._daemons = started

    def _spawn(*units, config=daemon_mod.TEST_CONFIG, args=(), wait=True, devices=None,
               name=None, port=None, identified=False, env=None):
        for u in units:
            emu.plug(u)
        d = daemon_mod.Daemon(tmp_path, config=config, port=port,
                              extra_args=list(daemon_args) + list(args),
                              name=name or 'daemon%d' % len(started), env=env)
        started.append(d)
        d.start(wait=wait)
        if wait:
            n = len(units) if devices is None else devices
            d.wait_devices(n, identified=identified)
        return d

    yield _spawn

    problems = daemon_mod.stop_and_check(started)
    if problems:
        pytest.fail('; '.join(problems), pytrace=False)


@pytest.fixture
def mic(tmp_path):
    """A FIFO-fed test microphone in the HOME of the daemons `spawn` starts: pass
    ['--audio-device', mic.name] to them."""
    m = FifoMic(tmp_path / 'home')
    yield m
    m.close()
