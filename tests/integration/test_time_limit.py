"""The suites' own time limit (tests/pytest.ini): a hanging test fails alone, quickly, by
name, and the tests after it still run. Proven on a throwaway test file run by pytest with
the project's configuration."""

import subprocess
import sys
import textwrap
import time
from pathlib import Path

INI = Path(__file__).resolve().parent.parent / 'pytest.ini'


def test_a_hanging_test_fails_alone_and_quickly(tmp_path):
    (tmp_path / 'test_hang.py').write_text(textwrap.dedent('''
        import threading, time

        def test_hangs_with_a_busy_thread_beside_it():
            threading.Thread(target=lambda: time.sleep(60), daemon=True).start()
            time.sleep(60)

        def test_after_it():
            pass
    '''))
    t0 = time.monotonic()
    r = subprocess.run([sys.executable, '-m', 'pytest', '-c', str(INI), '--rootdir',
                        str(tmp_path), '-p', 'no:cacheprovider', '-o', 'timeout=2', '-rA',
                        str(tmp_path / 'test_hang.py')],
                       capture_output=True, text=True, timeout=50, stdin=subprocess.DEVNULL)
    elapsed = time.monotonic() - t0
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    assert 'FAILED' in out and 'test_hangs_with_a_busy_thread_beside_it' in out, out
    assert 'Timeout' in out, out
    assert 'PASSED' in out and 'test_after_it' in out, out
    assert elapsed < 30, (elapsed, out)
