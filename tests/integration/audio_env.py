"""Emulated microphones for the integration tests, and the signal checks they need.

Without a sound card the daemon's PortAudio (ALSA host API) captures from one of two
user-space sources. ``FifoMic`` is sample-exact and as fast as the daemon reads, or paced
by the test: for correctness. ``PulseMic`` is paced at wall-clock speed like a real
microphone: for latency, pacing and overrun tests. Both return what the daemon needs (a
device name, env additions) instead of touching os.environ: each daemon has its own.
"""

import fcntl
import os
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from child import tied

FRAME_HEADER = struct.Struct('<4sIIIQ')   # magic, stream_id, seq, n_samples, capture_us
FRAME_MAGIC = b'DBA1'
LEVEL_FLOOR_DB = -100.0


# ---- signals --------------------------------------------------------------------------

def tone(freq_hz, rate, seconds, amplitude=0.25):
    """A sine as s16le mono; amplitude is a fraction of full scale, so that tests state
    levels in dBFS rather than in sample values."""
    t = np.arange(int(round(rate * seconds))) / float(rate)
    s = np.round(amplitude * 32767.0 * np.sin(2.0 * np.pi * freq_hz * t))
    return s.astype('<i2').tobytes()


def _pattern_values(index):
    # A counter-based hash (murmur3's 32-bit finaliser) rather than a seeded RNG: the
    # sequence never depends on the NumPy version, and any stretch of it can be produced
    # on its own, which is what a test needs to check a window of a long or looped stream.
    h = (index.astype(np.uint32) * np.uint32(0x9E3779B1)) ^ np.uint32(0x0D1C7A7E)
    h ^= h >> np.uint32(16)
    h *= np.uint32(0x85EBCA6B)
    h ^= h >> np.uint32(13)
    h *= np.uint32(0xC2B2AE35)
    h ^= h >> np.uint32(16)
    return (h & np.uint32(0xFFFF)).astype(np.uint16).view(np.int16)


def pattern(n_samples, start=0):
    """Samples start.. of a fixed non-periodic s16le sequence: compared sample for sample
    it exposes any reordered, lost or repeated stretch, which a periodic tone hides.
    Full-scale noise: not for level checks."""
    return _pattern_values(np.arange(start, start + n_samples, dtype=np.uint64)).astype(
        '<i2').tobytes()


def assert_fed_pattern(samples, n=None):
    """The samples are the test microphone's silence, then pattern() from its sample 0
    (n samples of it; without n, up to the end): nothing lost, reordered or added."""
    samples = np.asarray(samples, dtype=np.int16)
    start = int(np.argmax(samples != 0))
    n = len(samples) - start if n is None else n
    assert samples.any() and start + n <= len(samples) and n > 64, \
        'no fed samples: %d of %d are silence' % (start, len(samples))
    got = samples[start:start + n]
    ref = np.frombuffer(pattern(n), dtype='<i2')
    assert np.array_equal(got, ref), 'first difference at sample %d' % (
        start + int(np.argmax(got != ref)))


def decode_frame(data):
    """(stream_id, seq, n_samples, capture_us, samples) of one binary message; strict, so
    that a framing bug fails here rather than later as garbled audio."""
    if len(data) < FRAME_HEADER.size:
        raise ValueError('audio frame of %d bytes is shorter than its header' % len(data))
    magic, stream_id, seq, n, capture_us = FRAME_HEADER.unpack_from(data)
    if magic != FRAME_MAGIC:
        raise ValueError('bad audio frame magic %r' % magic)
    if len(data) != FRAME_HEADER.size + 2 * n:
        raise ValueError('audio frame says %d samples but carries %d bytes' % (
            n, len(data) - FRAME_HEADER.size))
    samples = np.frombuffer(data, dtype='<i2', offset=FRAME_HEADER.size).astype(np.int16)
    return stream_id, seq, n, capture_us, samples


def dominant_frequency(samples, rate):
    """Frequency of the strongest component in Hz, to a small fraction of a bin (Hann
    window, zero-padding, parabola through log magnitudes), so that a rate conversion
    error of a fraction of a hertz shows."""
    x = np.asarray(samples, dtype=np.float64)
    if len(x) < 16:
        raise ValueError('too few samples for a frequency estimate')
    x = (x - x.mean()) * np.hanning(len(x))
    nfft = 1 << int(np.ceil(np.log2(len(x) * 8)))
    mag = np.abs(np.fft.rfft(x, nfft))
    k = int(np.argmax(mag[1:-1])) + 1
    a, b, c = np.log(mag[k - 1:k + 2] + 1e-12)
    shift = 0.5 * (a - c) / (a - 2 * b + c) if a - 2 * b + c != 0 else 0.0
    return (k + shift) * rate / nfft


def level_dbfs(samples):
    """(rms_dbfs, peak_dbfs) as audio.level defines them (full scale 32768, floor -100).
    Unrounded: the daemon rounds to 0.1 dB, so compare with about that tolerance."""
    x = np.asarray(samples, dtype=np.float64) / 32768.0
    if len(x) == 0:
        return LEVEL_FLOOR_DB, LEVEL_FLOOR_DB
    rms, peak = np.sqrt(np.mean(x * x)), np.max(np.abs(x))

    def db(v):
        return max(LEVEL_FLOOR_DB, 20.0 * np.log10(v)) if v > 0 else LEVEL_FLOOR_DB
    return db(rms), db(peak)


# ---- unpaced, sample-exact: an ALSA file PCM -------------------------------------------

def _alsa_string(s):
    return '"%s"' % str(s).replace('\\', '\\\\').replace('"', '\\"')


class FifoMic:
    """An ALSA `type file` PCM in HOME/.asoundrc whose infile is a FIFO this object keeps
    writing to, like a microphone that never stops: silence, or the samples given to
    feed(), byte for byte, at `pace` samples per second (by default four times a 16 kHz
    microphone: not real time, but never a flood; set it to four times the capture rate).
    PortAudio lists it under `name`.

    A plain file would not do: ALSA reads it thousands of times faster than real time and,
    at its end, replays its last buffer forever. The FIFO is kept small, so little stale
    silence waits in it when the daemon opens it."""

    PIPE_BYTES = 4096
    CHUNK_MS = 10

    def __init__(self, home, name='dictabridge_test', description='dictabridge test microphone',
                 pace=64000):
        home = Path(home)
        home.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.path = home / ('%s.fifo' % name)
        os.mkfifo(self.path)
        # Read-write, so that opening never blocks and the reader never sees end of file
        # while this object lives; non-blocking, so that close() is never stuck.
        self.fd = os.open(self.path, os.O_RDWR | os.O_NONBLOCK)
        fcntl.fcntl(self.fd, fcntl.F_SETPIPE_SZ, self.PIPE_BYTES)
        self.pace = pace
        self._pending = bytearray()
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()
        self._stop = threading.Event()
        block = ('pcm.!%s {\n    type file\n    slave.pcm "null"\n    file "/dev/null"\n'
                 '    infile %s\n    format "raw"\n    hint {\n        show on\n'
                 '        description %s\n    }\n}\n') % (
            name, _alsa_string(self.path), _alsa_string(description))
        with open(home / '.asoundrc', 'a') as f:
            f.write(block)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        next_t = time.monotonic()
        chunk = b''
        while not self._stop.is_set():
            # ALSA's file plugin pads a short read with silence, so each write must be a
            # whole number of the reader's periods (10 ms): hence pace = 4 x the capture rate.
            step = 2 * (self.pace * self.CHUNK_MS // 1000)
            if not chunk:
                with self._lock:
                    chunk = bytes(self._pending[:step])
                    del self._pending[:step]
                    if not chunk:
                        self._idle.set()
                chunk = chunk or bytes(step)
            try:
                written = os.write(self.fd, chunk)
                chunk = chunk[written:]
            except BlockingIOError:
                pass        # nobody reads yet: the same bytes wait
            except OSError:
                return
            next_t += self.CHUNK_MS / 1000
            delay = next_t - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            else:
                next_t = time.monotonic()

    def feed(self, samples_bytes):
        """Queues s16le samples: they follow the silence being written, unchanged."""
        with self._lock:
            self._pending += bytes(samples_bytes)
            self._idle.clear()

    def wait_fed(self, timeout=60.0):
        assert self._idle.wait(timeout), 'the FIFO microphone was not read'

    def close(self):
        self._stop.set()
        self._thread.join(5)
        os.close(self.fd)   # the reader now sees end of file instead of waiting forever
        self.fd = -1


# ---- paced, realistic: a private PulseAudio server -------------------------------------

def _own_env(**extra):
    # Not under the test's umockdev preload: the sound server is not what is emulated.
    env = {k: v for k, v in os.environ.items()
           if k != 'LD_PRELOAD' and not k.startswith('UMOCKDEV')}
    env.update(extra)
    return env


def _stop(proc, timeout=5.0):
    if proc is not None and proc.poll() is None:
        os.kill(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(timeout)


class Recorder:
    """A capture client (parec of the test's sound server, arecord of an ALSA PCM) whose
    s16le output is collected by a thread; stopped by PID (stop(), also from a fixture's
    finally)."""

    def __init__(self, argv, env, rate):
        self.rate = rate
        self._buf = bytearray()
        self._lock = threading.Lock()
        self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while True:
            chunk = self.proc.stdout.read1(65536)
            if not chunk:
                return
            with self._lock:
                self._buf += chunk

    def samples(self):
        with self._lock:
            n = len(self._buf) // 2 * 2
            return np.frombuffer(bytes(self._buf[:n]), dtype='<i2').astype(np.int16)

    def wait_samples(self, n, timeout=10.0):
        deadline = time.monotonic() + timeout
        while len(self.samples()) < n:
            assert self.proc.poll() is None, '%s exited with %s: %s' % (
                self.proc.args[0], self.proc.returncode,
                self.proc.stderr.read().decode(errors='replace'))
            assert time.monotonic() < deadline, '%s recorded %d of %d samples' % (
                self.proc.args[0], len(self.samples()), n)
            time.sleep(0.05)
        return self.samples()

    def stop(self):
        _stop(self.proc)
        self._thread.join(5)
        self.proc.stdout.close()
        self.proc.stderr.close()


class PulseMic:
    """A private sound server speaking PulseAudio's protocol with a mono null sink ``mic``:
    what play() plays, the daemon captures from PortAudio's device ``pulse`` given `env`.
    `server` is 'pulseaudio', or 'pipewire': PipeWire with its PulseAudio server
    (pipewire-pulse) and its session manager (WirePlumber, which links streams to nodes
    and wants a D-Bus session bus: a private dbus-daemon). A context manager: the server
    and its clients are stopped by PID on exit, also when the test fails."""

    device = 'pulse'
    source = 'mic.monitor'

    def __init__(self, workdir, rate=48000, ready_timeout=10.0, server='pulseaudio'):
        self.workdir = Path(workdir) / 'pulse'
        self.rate = rate
        self.ready_timeout = ready_timeout
        self.kind = server
        self.server = self._keeper = self._player = self._feeder = None
        self._helpers = []
        self._rundir_tmp = None
        self.log_path = self.workdir / ('%s.log' % server)

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc):
        self.close()

    def _start(self):
        home = self.workdir / 'home'
        home.mkdir(parents=True, exist_ok=True)
        run = self.workdir / 'run'
        if len(str(run / 'pulse' / 'native')) > 100:   # sun_path: 108 bytes; pytest dirs are long
            run = Path(self._rundir_tmp or tempfile.mkdtemp(prefix='dbpa-'))
            self._rundir_tmp = run
        run.mkdir(parents=True, exist_ok=True)
        os.chmod(run, 0o700)
        null_sink = ['module-null-sink', 'sink_name=mic', 'rate=%d' % self.rate, 'channels=1',
                     'format=s16le', 'sink_properties=device.description=dictabridge-test-mic']
        self._log = open(self.log_path, 'ab')
        deadline = time.monotonic() + self.ready_timeout
        server_env = _own_env(HOME=str(home), XDG_RUNTIME_DIR=str(run))
        if self.kind == 'pipewire':
            self.socket = run / 'pulse' / 'native'
            server_env['DBUS_SESSION_BUS_ADDRESS'] = 'unix:path=%s' % (run / 'bus')
            self._helpers.append(self._spawn(
                ['dbus-daemon', '--session', '--nofork', '--nopidfile',
                 '--address=' + server_env['DBUS_SESSION_BUS_ADDRESS']], server_env))
            self._helpers.append(self._spawn(['pipewire'], server_env))
            # Both connect at start and give up when their peer is not there yet.
            while not ((run / 'bus').exists() and (run / 'pipewire-0').exists()):
                self._wait(deadline, 'dbus-daemon and pipewire not ready')
            self.server = self._spawn(['pipewire-pulse'], server_env)
            self._helpers.append(self._spawn(['wireplumber'], server_env))
        else:
            self.socket = run / 'native'
            self.server = self._spawn(
                ['pulseaudio', '-n', '--daemonize=no', '--exit-idle-time=-1',
                 '--use-pid-file=no', '--high-priority=no', '--realtime=no',
                 '--load=module-native-protocol-unix auth-anonymous=1 socket=%s' % self.socket,
                 '--load=' + ' '.join(null_sink)], server_env)
        self.env = {'PULSE_SERVER': 'unix:%s' % self.socket, 'PULSE_SOURCE': self.source}
        self._client_env = _own_env(HOME=str(home), **self.env)
        while True:
            if self.socket.exists() and self._pactl('info').returncode == 0:
                break
            self._wait(deadline, '%s not ready' % self.kind)
        if self.kind == 'pipewire':
            self.pactl('load-module', *null_sink)
        # An idle null sink renders in 2 s blocks, so a capture opened then sees nothing
        # for up to 2 s. A low-latency recorder kept on the monitor keeps blocks short;
        # a suspend and resume once it is there ends the 2 s block the server began with.
        self._keeper = subprocess.Popen(tied(
            ['parec', '-d', self.source, '--raw', '--format=s16le', '--rate=%d' % self.rate,
             '--channels=1', '--latency-msec=10']), env=self._client_env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=self._log)
        while not self._pactl('list', 'short', 'source-outputs').stdout.strip():
            self._wait(deadline, 'parec never connected')
        self._pactl('suspend-sink', 'mic', '1')
        self._pactl('suspend-sink', 'mic', '0')

    def _spawn(self, argv, env):
        return subprocess.Popen(tied(argv), env=env, stdin=subprocess.DEVNULL,
                                stdout=self._log, stderr=subprocess.STDOUT)

    def _pactl(self, *args):
        return subprocess.run(['pactl'] + list(args), env=self._client_env, timeout=5,
                              stdin=subprocess.DEVNULL, capture_output=True)

    def _wait(self, deadline, what):
        for proc in [p for p in [self.server] + self._helpers if p is not None]:
            if proc.poll() is not None:
                raise RuntimeError('%s exited with %s:\n%s' % (
                    proc.args[proc.args.index('--') + 1], proc.returncode, self.log_path.read_text(errors='replace')))
        if time.monotonic() > deadline:
            raise RuntimeError('%s within %.0f s' % (what, self.ready_timeout))
        time.sleep(0.05)

    def play(self, samples_bytes, rate, loop=False, latency_msec=20):
        """Plays s16le mono into the mic in the background, replacing what plays (with
        loop, until stop_playing()). The short pacat buffer makes sound reach the capture
        40-60 ms after the call; its first 2-5 ms are lost, the rest is bit-exact at the
        mic's rate (48 kHz by default)."""
        self.stop_playing()
        data = bytes(samples_bytes)
        self._player = subprocess.Popen(tied(
            ['pacat', '--playback', '-d', 'mic', '--raw', '--format=s16le',
             '--rate=%d' % rate, '--channels=1', '--latency-msec=%d' % latency_msec]),
            env=self._client_env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
            stderr=self._log)
        player = self._player

        def feed():
            try:
                player.stdin.write(data)
                while loop:
                    player.stdin.write(data)
                player.stdin.close()
            except (ValueError, OSError):   # pacat stopped
                pass
        self._feeder = threading.Thread(target=feed, daemon=True)
        self._feeder.start()

    def pactl(self, *args):
        """Runs pactl against this server; raises with its output when it fails."""
        r = self._pactl(*args)
        if r.returncode != 0:
            raise RuntimeError('pactl %s: %s' % (' '.join(args), (r.stdout + r.stderr).decode(
                errors='replace')))
        return r.stdout.decode(errors='replace')

    def add_source(self, name, properties, master=None):
        """A source `name` carrying `properties` ({key: value} without spaces, as a sound
        card's source would: alsa.card, sysfs.path, device.description): module-remap-source
        over `master` (the mic's monitor: what play() plays), or without master over a
        silent null sink of its own. Returns the module's index (unload-module removes the
        source, as unplugging a card does)."""
        if master is None:
            self.pactl('load-module', 'module-null-sink', 'sink_name=%s_silence' % name,
                       'rate=%d' % self.rate, 'channels=1', 'format=s16le')
            master = '%s_silence.monitor' % name
        props = ' '.join('%s=%s' % kv for kv in properties.items())
        return int(self.pactl('load-module', 'module-remap-source', 'master=%s' % master,
                              'source_name=%s' % name, 'channels=1',
                              'source_properties="%s"' % props).strip())

    def add_webcam_default_and_unit(self, card, description):
        """The workstation where a browser would record the wrong microphone: a source
        'webcam' that is the server's default input, and the unit's own source 'unit_mic'
        (its ALSA card `card`, described as `description`), both over the mic."""
        self.add_source('webcam', {'device.description': 'Webcam'}, master=self.source)
        self.add_source('unit_mic', {'alsa.card': str(card), 'device.description': description},
                        master=self.source)
        self.pactl('set-default-source', 'webcam')

    def recorder(self, source, rate=None):
        """parec recording `source` (the browser's stand-in: another client of the same
        server) into a Recorder; stop it with Recorder.stop()."""
        return Recorder(['parec', '-d', source, '--raw', '--format=s16le',
                         '--rate=%d' % (rate or self.rate), '--channels=1',
                         '--latency-msec=20'], self._client_env, rate or self.rate)

    def emulate_dsnoop(self, home, reachable=True):
        """Redefines ALSA's `dsnoop` PCM in home/.asoundrc (for every program with that
        HOME) as a capture through this server: `dsnoop:CARD=N` records the source `cardN`
        (add it with add_source), so whoever opens it gets what play() plays, several
        programs at once, as the real dsnoop shares a card. Not reachable: a server socket
        that does not exist, so that the PCM cannot open."""
        server = self.socket if reachable else self.socket.with_name('gone')
        Path(home).mkdir(parents=True, exist_ok=True)
        with open(Path(home) / '.asoundrc', 'a') as f:
            f.write('pcm.!dsnoop {\n'
                    '    @args [ CARD DEV SUBDEV FORMAT RATE ]\n'
                    '    @args.CARD { type string }\n'
                    '    @args.DEV { type integer default 0 }\n'
                    '    @args.SUBDEV { type integer default 0 }\n'
                    '    @args.FORMAT { type string default S16_LE }\n'
                    '    @args.RATE { type integer default 48000 }\n'
                    '    type pulse\n'
                    '    server %s\n'
                    '    device { @func concat strings [ "card" $CARD ] }\n'
                    '}\n' % _alsa_string('unix:%s' % server))

    def emulate_hw(self, home, card):
        """A PCM in home/.asoundrc that PortAudio lists as the kernel card `card` (a name
        holding `(hw:N,0)`, what the daemon looks for when it opens a card alone), capturing
        this server's source `cardN`. ALSA reads the name's first colon as the start of
        arguments, so the PCM that opens is `NAME (hw` with two arguments, defined too."""
        Path(home).mkdir(parents=True, exist_ok=True)
        with open(Path(home) / '.asoundrc', 'a') as f:
            for name, args in (('emulated card (hw:%d,0)' % card, ''),
                               ('emulated card (hw', '    @args [ A B ]\n'
                                '    @args.A { type string }\n    @args.B { type string }\n')):
                f.write('pcm.%s {\n%s    type pulse\n    server %s\n    device %s\n'
                        '    hint { show on description "emulated card" }\n}\n' % (
                            _alsa_string(name), args, _alsa_string('unix:%s' % self.socket),
                            _alsa_string('card%d' % card)))

    def dsnoop_recorder(self, home, card, rate=None):
        """arecord (with `home`'s .asoundrc) recording card `card` through dsnoop the way the
        daemon opens it (plug in front), into a Recorder."""
        return Recorder(['arecord', '-q', '-D', "plug:'dsnoop:CARD=%d'" % card, '-t', 'raw',
                         '-f', 'S16_LE', '-c', '1', '-r', str(rate or self.rate)],
                        _own_env(HOME=str(home)), rate or self.rate)

    def wait_played(self, timeout=30.0):
        """Waits until a non-looping play() has reached the sink (pacat drains, then exits)."""
        if self._player is not None:
            self._player.wait(timeout)

    def stop_playing(self):
        _stop(self._player)
        if self._feeder is not None:
            self._feeder.join(5)
            try:
                self._player.stdin.close()
            except OSError:     # what was buffered cannot reach a stopped pacat
                pass
        self._player = self._feeder = None

    def close(self):
        self.stop_playing()
        _stop(self._keeper)
        _stop(self.server)
        for proc in reversed(self._helpers):
            _stop(proc)
        self._keeper = None
        self.server = None
        self._helpers = []
        if getattr(self, '_log', None) is not None:
            self._log.close()
            self._log = None
        if self._rundir_tmp is not None:
            shutil.rmtree(self._rundir_tmp, ignore_errors=True)
            self._rundir_tmp = None
