"""The integration fixtures (emulator, spawn, FIFO microphone), reused as they are."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..',
                                'integration'))

from fixtures import daemon_args, emu, mic, spawn  # noqa: E402,F401 (fixtures of this folder)
