"""Fixtures: the device emulator, the daemon, and a runner for `async def` tests."""

import asyncio
import inspect
import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import daemon as daemon_mod  # noqa: E402
import emu as emu_mod  # noqa: E402

TEST_TIMEOUT = float(os.environ.get('DICTABRIDGE_TEST_TIMEOUT', '60'))


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem):
    """Runs `async def` tests in a fresh event loop (no pytest-asyncio needed)."""
    if inspect.iscoroutinefunction(pyfuncitem.obj):
        args = {a: pyfuncitem.funcargs[a] for a in pyfuncitem._fixtureinfo.argnames}
        asyncio.run(asyncio.wait_for(pyfuncitem.obj(**args), TEST_TIMEOUT))
        return True
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.failed:
        for d in getattr(item, '_daemons', []):
            rep.sections.append(('%s log (%s)' % (d.name, call.when),
                                 d.log()[-20000:] or '(empty)'))


@pytest.fixture
def emu():
    e = emu_mod.Emulator()
    yield e
    e.close()


@pytest.fixture
def spawn(request, emu, tmp_path):
    """spawn(*units, config=TEST_CONFIG, args=(), wait=True, devices=None, name=...):
    plugs `units`, starts a daemon and waits until /status answers and lists `devices`
    devices (default: one per unit). Teardown stops every daemon it started and fails the
    test on a crash, a sanitizer report, or a daemon that ignores SIGTERM."""
    started = []
    request.node._daemons = started

    def _spawn(*units, config=daemon_mod.TEST_CONFIG, args=(), wait=True, devices=None,
               name=None, port=None, identified=False):
        for u in units:
            emu.plug(u)
        d = daemon_mod.Daemon(tmp_path, config=config, extra_args=args, port=port,
                              name=name or 'daemon%d' % len(started))
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
