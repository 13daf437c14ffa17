"""Device emulation below hidapi and libudev, with umockdev.

The test process must run under ``umockdev-wrapper`` so that the daemon it spawns
inherits the preload library and sees the emulated sysfs, /dev nodes, ioctls and uevents.

Vocabulary:
  * ``Unit``: one emulated USB device (VID, PID, serial, product) with one HID interface
    per entry of ``interfaces``; each interface gets a ``hid`` node and a ``hidraw`` node.
  * ``Emulator``: one umockdev testbed plus the threads that keep it alive: a GLib main
    context iteration thread (the ioctl handlers run there) and one I/O thread that reads
    what the daemon writes to every hidraw node (output reports) and answers the
    identification queries.
  * ``Node``: the device side of one hidraw node of a plugged unit: ``send()`` delivers an
    input report to the daemon, ``outputs`` records every output report the daemon wrote.

Byte stream caveat: an emulated hidraw node is a byte stream, so reports written in
quick succession may reach the other side in one read. The daemon splits reads that are
an exact multiple of the input report length; on the device side, output reports are split
here by the node's known output report length.
"""

import errno
import os
import select
import threading
import time

import gi

gi.require_version('UMockdev', '1.0')
from gi.repository import GLib, UMockdev  # noqa: E402

# ---- report descriptors -------------------------------------------------------------

# Vendor collection 0xFFA0 / 1: 9-byte input report and 9-byte output report, no report IDs
# (SpeechMike HID mode, PowerMic 4).
RDESC_VENDOR = bytes([
    0x06, 0xA0, 0xFF,  # Usage Page (0xFFA0)
    0x09, 0x01,        # Usage (1)
    0xA1, 0x01,        # Collection (Application)
    0x15, 0x00, 0x26, 0xFF, 0x00, 0x75, 0x08,
    0x95, 0x09, 0x09, 0x01, 0x81, 0x02,   # Input: 9 bytes
    0x95, 0x09, 0x09, 0x01, 0x91, 0x02,   # Output: 9 bytes
    0xC0,
])

# Boot mouse (usage page 1, usage 2): 3 buttons, X, Y. The daemon must ignore it.
RDESC_MOUSE = bytes([
    0x05, 0x01, 0x09, 0x02, 0xA1, 0x01, 0x09, 0x01, 0xA1, 0x00,
    0x05, 0x09, 0x19, 0x01, 0x29, 0x03, 0x15, 0x00, 0x25, 0x01, 0x95, 0x03, 0x75, 0x01,
    0x81, 0x02, 0x95, 0x01, 0x75, 0x05, 0x81, 0x01,
    0x05, 0x01, 0x09, 0x30, 0x09, 0x31, 0x15, 0x81, 0x25, 0x7F, 0x75, 0x08, 0x95, 0x02,
    0x81, 0x06, 0xC0, 0xC0,
])


def rdesc_buttons(usage_page, usage, nbuttons):
    """An application collection of `nbuttons` one-bit buttons (padded to whole bytes)."""
    d = [0x05, usage_page, 0x09, usage, 0xA1, 0x01,
         0x05, 0x09, 0x19, 0x01, 0x29, nbuttons, 0x15, 0x00, 0x25, 0x01,
         0x75, 0x01, 0x95, nbuttons, 0x81, 0x02]
    pad = (-nbuttons) % 8
    if pad:
        d += [0x75, 0x01, 0x95, pad, 0x81, 0x01]
    d.append(0xC0)
    return bytes(d)


# Gamepad collection of a browser-mode SpeechMike: usage page 1 usage 4, 16 buttons = 2 bytes.
RDESC_GAMEPAD = rdesc_buttons(0x01, 0x04, 16)
# Philips foot control: usage page 1 usage 4, 1-byte input report.
RDESC_FOOT = rdesc_buttons(0x01, 0x04, 8)
# VEC / Infinity pedal: consumer page 0x0C usage 3, 2-byte input report.
RDESC_VEC = rdesc_buttons(0x0C, 0x03, 16)

# PowerMic II/III: usage page 1 usage 0; 1-byte LED output report; 3-byte input report
# (a constant byte, 14 buttons, 2 padding bits), no report IDs (restated from the
# genuine descriptor's structure).
RDESC_POWERMIC3 = bytes([
    0x05, 0x01, 0x09, 0x00, 0xA1, 0x01,
    0x05, 0x08, 0x09, 0x4B, 0x15, 0x00, 0x25, 0x01, 0x75, 0x01, 0x95, 0x08, 0x91, 0x02,
    0x05, 0x09, 0x75, 0x01, 0x95, 0x08, 0x81, 0x01,
    0x19, 0x01, 0x29, 0x0E, 0x95, 0x0E, 0x81, 0x02,
    0x95, 0x02, 0x81, 0x01,
    0xC0,
])

# Output report length as read on the device side, report-ID byte 00 included.
OUT_LEN_VENDOR = 10
OUT_LEN_POWERMIC3 = 2

# ---- identification answers (doc/devices.md §1.6) ---------------------------------


def _h(s):
    return bytes.fromhex(s)


# Model → {query code: 9-byte answer}. A query the model does not answer gets no answer.
MODELS = {
    'SMP3700': {0x83: _h('830000000100320195'), 0x8B: _h('8B00000000000E7400')},
    'SMP3710': {0x83: _h('830000000100320195'), 0x8B: _h('8B00000000000E7E00')},
    'LFH3520': {0x83: _h('830000000100320195'), 0x8B: _h('8B00000000000DC000')},
    'LFH3200': {0x83: _h('830200000000320055'), 0x87: _h('870000000000000C80')},
    'LFH3210': {0x83: _h('830200000000320055'), 0x87: _h('870000000000000C8A')},
    'SMP4000': {0x83: _h('830000000100320195'), 0x8B: _h('8B000FA00E740DAC00'),
                0x91: _h('910000414104 2E0041'.replace(' ', ''))},
    'PSM6000': {0x83: _h('830000000100320195'), 0x8B: _h('8B010FA00E740DAC00'),
                0x96: _h('960000000000001771')},
    'PSM5000': {0x83: _h('830000000100320195'), 0x8B: _h('8B000FA00E740DAC00'),
                0x91: _h('910000050706 2E0007'.replace(' ', '')),
                0x96: _h('960000000013880000')},
    'POWERMIC4': {0x83: _h('830000000100320195'), 0x8B: _h('8B0000000E740DAC00')},
    # An SMP4010 (INT slide switch) that never answers the firmware query.
    'SMP4010_nofw': {0x83: _h('830000000100320195'), 0x8B: _h('8B000FAA0E740DAC00')},
    # A Premium answering a device code no table knows (0x1267 = 4711).
    'SM4711': {0x83: _h('830000000100320195'), 0x8B: _h('8B0000000000126700')},
    'silent': {},
    # Answers IS_PREMIUM like a Premium, then never the device-code query.
    'half_silent': {0x83: _h('830000000100320195')},
}
QUERY_CODES = (0x83, 0x87, 0x8B, 0x8D, 0x91, 0x96)

# ---- report builders ------------------------------------------------------------------


def sm_report(word=0):
    """SpeechMike / PowerMic 4 vendor button event 0x80: LE u16 button word in bytes 7-8."""
    return bytes([0x80, 0, 0, 0, 0, 0, 0, word & 0xFF, (word >> 8) & 0xFF])


def sm_motion(laid_down):
    return bytes([0x9E, 0, 0, 0, 0, 0, 0, 0, 1 if laid_down else 0])


def mode_answer(mode):
    """GET_EVENT_MODE's answer: the mode in byte 8."""
    return bytes([0x8D, 0, 0, 0, 0, 0, 0, 0, mode & 0xFF])


def set_mode_command(mode):
    """SET_EVENT_MODE as the device side reads it (report ID 00 first): 0x0D, the mode
    in the last payload byte."""
    return bytes([0x00, 0x0D, 0, 0, 0, 0, 0, 0, 0, mode])


MODE_HID, MODE_KEYBOARD, MODE_BROWSER = 0, 1, 2


def sm_leds(b6=0, b7=0, b8=0):
    """The SET_LED output report as the device side reads it (report ID 00 first)."""
    return bytes([0x00, 0x02, 0, 0, 0, 0, 0, b6, b7, b8])


# ---- units ----------------------------------------------------------------------------


class Iface:
    def __init__(self, number, rdesc, out_len=0, responder=False):
        self.number = number
        self.rdesc = rdesc
        self.out_len = out_len        # device-side output report length, 0 = no output
        self.responder = responder    # answers identification queries


class Unit:
    """One emulated USB device. `model` names the identification answers (MODELS) given on
    the vendor collection; None when the unit has no vendor collection."""

    def __init__(self, vid, pid, serial, product, interfaces, manufacturer='Philips',
                 model=None):
        self.vid = vid
        self.pid = pid
        self.serial = serial
        self.product = product
        self.manufacturer = manufacturer
        self.interfaces = interfaces
        self.model = model
        self.port = None       # USB port number, fixed at the first plug (stable path)
        self.devnum = None
        # True: every hidraw node of the unit refuses HIDIOCGRDESCSIZE, so hid_open_path
        # fails although enumeration (which reads the descriptor from sysfs) succeeds.
        self.fail_open = False
        # ALSA card number of the unit's own sound card (its USB audio interface), None
        # without one. Only sysfs is emulated: there is no /dev/snd behind it.
        self.sound_card = None
        self.sound_plugged = False
        # SpeechMike event mode the vendor collection answers to 0x8D (None: no answer);
        # the product id the unit has in HID mode (it changes with the mode).
        self.event_mode = 0 if model is not None else None
        self.hid_pid = pid

    @property
    def family_key(self):
        return '%04x:%04x' % (self.vid, self.pid)


def speechmike(serial='SM0001', model='SMP3700', pid=0x0C1C, product=None):
    """A SpeechMike in HID mode: 0c1c (boot mouse on IF3 + vendor on IF4), or 0c1d / 0c1e
    (vendor only)."""
    ifaces = []
    if pid == 0x0C1C:
        ifaces.append(Iface(3, RDESC_MOUSE))
    ifaces.append(Iface(4, RDESC_VENDOR, OUT_LEN_VENDOR, responder=True))
    names = {0x0C1C: 'SpeechMike III', 0x0C1D: 'SpeechMike Premium Air',
             0x0C1E: 'SpeechOne'}
    return Unit(0x0911, pid, serial, product or names.get(pid, 'SpeechMike'), ifaces,
                model=model)


def speechmike_air(serial='AIR0001', model='SMP4000'):
    return speechmike(serial, model, pid=0x0C1D)


def speechone(serial='SO0001', model='PSM6000'):
    return speechmike(serial, model, pid=0x0C1E)


def speechmike_browser(serial='SMB0001', model='SMP3700'):
    """A SpeechMike in browser/gamepad mode: vendor on IF4, gamepad on IF5."""
    u = Unit(0x0911, 0x0FA0, serial, 'SpeechMike', [
        Iface(4, RDESC_VENDOR, OUT_LEN_VENDOR, responder=True),
        Iface(5, RDESC_GAMEPAD)], model=model)
    u.event_mode = MODE_BROWSER
    u.hid_pid = 0x0C1C
    return u


def powermic4(serial='PM40001', model='POWERMIC4'):
    return Unit(0x0554, 0x0064, serial, 'PowerMic 4', [
        Iface(0, RDESC_VENDOR, OUT_LEN_VENDOR, responder=True)],
        manufacturer='Nuance', model=model)


def powermic3(serial='PM30001'):
    return Unit(0x0554, 0x1001, serial, 'PowerMicII-NS', [
        Iface(3, RDESC_POWERMIC3, OUT_LEN_POWERMIC3)], manufacturer='Nuance')


def foot_control(serial='FC0001'):
    return Unit(0x0911, 0x1844, serial, 'Foot Control', [Iface(0, RDESC_FOOT)])


def vec_pedal(serial=None, rdesc=RDESC_VEC):
    """VEC / Infinity IN-USB-2. Real ones have no serial number: the daemon must then
    derive the id from the USB port path."""
    return Unit(0x05F3, 0x00FF, serial, 'VEC USB Footpedal', [Iface(0, rdesc)],
                manufacturer='VEC')


# ---- the emulator ---------------------------------------------------------------------

HIDIOCGRDESCSIZE = 0x80044801
HIDIOCGRDESC_NR = 0x4802            # (request & 0xffff) for HIDIOCGRDESC
HIDIOCGRAWINFO = 0x80084803
USB_ROOT = '/sys/devices/pci0000:00/0000:00:14.0/usb1'


class Node:
    """Device side of one hidraw node."""

    def __init__(self, emu, unit, iface, hidraw_index, hid_name):
        self.emu = emu
        self.unit = unit
        self.iface = iface
        self.index = hidraw_index
        self.devnode = '/dev/hidraw%d' % hidraw_index
        self.usb_syspath = '%s/1-%d' % (USB_ROOT, unit.port)
        self.intf_syspath = '%s/1-%d:1.%d' % (self.usb_syspath, unit.port, iface.number)
        self.hid_syspath = '%s/%s' % (self.intf_syspath, hid_name)
        self.syspath = '%s/hidraw/hidraw%d' % (self.hid_syspath, hidraw_index)
        self.hid_name = hid_name
        self.fd = None
        self.handler = None
        self.outputs = []           # every output report the daemon wrote, in order
        self.inputs = []            # every input report sent
        self.ident_answers = dict(MODELS.get(unit.model, {})) if iface.responder else {}
        if iface.responder and unit.event_mode is not None:
            self.ident_answers[0x8D] = mode_answer(unit.event_mode)
        self._buf = b''
        self._cond = threading.Condition()
        self._wlock = threading.Lock()
        self.gone = False

    # --- input reports (device → daemon) ---
    def send(self, report):
        report = bytes(report)
        with self._wlock:
            if self.gone:
                raise RuntimeError('%s is unplugged' % self.devnode)
            self.inputs.append(report)
            n = os.write(self.fd, report)
            assert n == len(report), 'short write on %s' % self.devnode

    # --- output reports (daemon → device) ---
    def _feed(self, data):
        answers = []
        with self._cond:
            self._buf += data
            n = self.iface.out_len or len(self._buf)
            while len(self._buf) >= n and n > 0:
                chunk, self._buf = self._buf[:n], self._buf[n:]
                self.outputs.append(chunk)
                if (self.iface.responder and len(chunk) >= 2 and chunk[0] == 0
                        and chunk[1] in self.ident_answers):
                    answers.append(self.ident_answers[chunk[1]])
            self._cond.notify_all()
        for a in answers:
            try:
                self.send(a)
            except (OSError, RuntimeError):
                pass

    def mark(self):
        """Index to pass as `since` to wait_output: only later outputs are considered."""
        with self._cond:
            return len(self.outputs)

    def wait_output(self, pred=None, since=0, timeout=3.0):
        """Waits for an output report (at index ≥ since) satisfying pred(bytes); returns it.
        Raises AssertionError with everything seen on timeout."""
        if isinstance(pred, (bytes, bytearray)):
            want = bytes(pred)
            pred = lambda b: b == want  # noqa: E731
        deadline = time.monotonic() + timeout
        i = since
        with self._cond:
            while True:
                while i < len(self.outputs):
                    if pred is None or pred(self.outputs[i]):
                        return self.outputs[i]
                    i += 1
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        '%s: no matching output report within %.1fs; got since #%d: %s' % (
                            self.devnode, timeout, since,
                            [o.hex(' ') for o in self.outputs[since:]] or 'nothing'))
                self._cond.wait(left)

    async def await_output(self, pred=None, since=0, timeout=3.0):
        import asyncio
        return await asyncio.get_running_loop().run_in_executor(
            None, lambda: self.wait_output(pred, since, timeout))

    def queries(self, code=None):
        """Identification queries written so far (optionally only those with `code`)."""
        with self._cond:
            return [o for o in self.outputs if len(o) >= 2 and o[0] == 0
                    and o[1] in QUERY_CODES and (code is None or o[1] == code)]

    def led_writes(self, since=0):
        with self._cond:
            return [o for o in self.outputs[since:] if self.is_led_write(o)]

    def is_led_write(self, o):
        if self.iface.out_len == OUT_LEN_POWERMIC3:
            return len(o) == 2
        return len(o) == OUT_LEN_VENDOR and o[0] == 0 and o[1] == 0x02

    # --- ioctls ---
    def _on_ioctl(self, handler, client):
        req = client.get_request()
        rdesc = self.iface.rdesc
        if req == HIDIOCGRDESCSIZE and self.unit.fail_open:
            client.complete(-1, errno.EIO)
            return True
        if req == HIDIOCGRDESCSIZE:
            data = client.get_arg().resolve(0, 4)
            data.update(0, len(rdesc).to_bytes(4, 'little'))
            client.complete(0, 0)
            return True
        if (req & 0xFFFF) == HIDIOCGRDESC_NR:
            data = client.get_arg().resolve(0, 4 + 4096)
            data.update(0, len(rdesc).to_bytes(4, 'little'))
            data.update(4, rdesc)
            client.complete(0, 0)
            return True
        if req == HIDIOCGRAWINFO:
            # struct hidraw_devinfo { __u32 bustype; __s16 vendor; __s16 product; }
            data = client.get_arg().resolve(0, 8)
            data.update(0, (3).to_bytes(4, 'little') + self.unit.vid.to_bytes(2, 'little')
                        + self.unit.pid.to_bytes(2, 'little'))
            client.complete(0, 0)
            return True
        return False


class Emulator:
    """One umockdev testbed with its helper threads. Create it BEFORE spawning the daemon
    (the testbed exports UMOCKDEV_DIR, which the daemon inherits)."""

    def __init__(self):
        if 'umockdev' not in os.environ.get('LD_PRELOAD', ''):
            raise RuntimeError('run the tests under umockdev-wrapper (see run.sh)')
        self.tb = UMockdev.Testbed.new()
        self.ctx = GLib.MainContext.default()
        self.units = {}            # id(unit) -> [Node]
        self._next_port = 1
        self._next_hidraw = 0
        self._next_hid = 1
        self._nodes_by_fd = {}
        self._lock = threading.Lock()
        self._stop = False
        self._wake_r, self._wake_w = os.pipe()
        self._glib = threading.Thread(target=self._glib_loop, name='glib', daemon=True)
        self._io = threading.Thread(target=self._io_loop, name='hidio', daemon=True)
        self._glib.start()
        self._io.start()

    # --- threads ---
    def _glib_loop(self):
        while not self._stop:
            self.ctx.iteration(True)

    def _io_loop(self):
        # A pty master with no open slave (the daemon has not opened the node yet, or has
        # closed it) reads EIO and always polls readable: such a node is polled at a low
        # rate instead of being selected on.
        idle_until = {}
        while not self._stop:
            now = time.monotonic()
            with self._lock:
                fds = [fd for fd in self._nodes_by_fd if idle_until.get(fd, 0) <= now]
                idle = [t for fd, t in idle_until.items() if fd in self._nodes_by_fd and t > now]
            timeout = max(0.0, min(idle) - now) if idle else 1.0
            try:
                r, _, _ = select.select(fds + [self._wake_r], [], [], timeout)
            except (OSError, ValueError):
                time.sleep(0.01)
                continue
            for fd in r:
                if fd == self._wake_r:
                    os.read(self._wake_r, 4096)
                    continue
                with self._lock:
                    node = self._nodes_by_fd.get(fd)
                if node is None:
                    continue
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b''
                if not data:
                    idle_until[fd] = time.monotonic() + 0.02
                    continue
                idle_until.pop(fd, None)
                node._feed(data)

    def _wake(self):
        os.write(self._wake_w, b'x')

    def close(self):
        for unit_nodes in list(self.units.values()):
            for n in unit_nodes:
                n.gone = True
        self._stop = True
        self._wake()
        self.ctx.wakeup()
        self._io.join(2)
        self._glib.join(2)
        os.close(self._wake_r)
        os.close(self._wake_w)
        self.tb = None

    # --- record text ---
    def _record(self, unit, nodes):
        vid, pid = unit.vid, unit.pid
        usb = '%s/1-%d' % (USB_ROOT, unit.port)
        lines = [
            'P: %s' % usb[len('/sys'):],
            'E: SUBSYSTEM=usb', 'E: DEVTYPE=usb_device',
            'E: BUSNUM=001', 'E: DEVNUM=%03d' % unit.devnum,
            'E: PRODUCT=%x/%x/100' % (vid, pid),
            'A: idVendor=%04x' % vid, 'A: idProduct=%04x' % pid,
            'A: bcdDevice=0100',
            'A: manufacturer=%s' % unit.manufacturer, 'A: product=%s' % unit.product,
        ]
        # A serial number is whatever the device says: bytes the record's text form cannot
        # hold (a newline, non-UTF-8) go in hex.
        raw = unit.serial.encode('utf-8', 'surrogateescape') if unit.serial else b''
        plain = all(0x20 < b < 0x7f for b in raw)
        if unit.serial is not None:
            lines.append('A: serial=%s' % unit.serial if plain
                         else 'H: serial=%s' % raw.hex().upper())
        lines += ['A: busnum=1', 'A: devnum=%d' % unit.devnum, 'A: devpath=%d' % unit.port,
                  'A: speed=12', '']
        for n in nodes:
            ifn = n.iface.number
            lines += [
                'P: %s' % n.intf_syspath[len('/sys'):],
                'E: SUBSYSTEM=usb', 'E: DEVTYPE=usb_interface',
                'E: INTERFACE=3/0/0', 'E: PRODUCT=%x/%x/100' % (vid, pid),
                'A: bInterfaceNumber=%02x' % ifn, 'A: bInterfaceClass=03',
                'A: bAlternateSetting= 0', 'A: bNumEndpoints=02', '',
                'P: %s' % n.hid_syspath[len('/sys'):],
                'E: SUBSYSTEM=hid', 'E: DRIVER=hid-generic',
                'E: HID_ID=0003:%08X:%08X' % (vid, pid),
                'E: HID_NAME=%s %s' % (unit.manufacturer, unit.product),
                'E: HID_PHYS=usb-0000:00:14.0-%d/input%d' % (unit.port, ifn),
                'E: HID_UNIQ=%s' % (unit.serial if plain else ''),
                'E: MODALIAS=hid:b0003g0001v%08Xp%08X' % (vid, pid),
                'H: report_descriptor=%s' % n.iface.rdesc.hex().upper(), '',
                'P: %s' % n.syspath[len('/sys'):],
                'N: hidraw%d' % n.index,
                'E: SUBSYSTEM=hidraw', 'E: DEVNAME=/dev/hidraw%d' % n.index,
                'E: MAJOR=247', 'E: MINOR=%d' % n.index,
                'A: dev=247:%d' % n.index,
                'L: device=../../../%s' % n.hid_name, '',
            ]
        return '\n'.join(lines) + '\n'

    def _sound_paths(self, unit):
        intf = '%s/1-%d/1-%d:1.1' % (USB_ROOT, unit.port, unit.port)
        return intf, '%s/sound/card%d' % (intf, unit.sound_card)

    def _sound_record(self, unit):
        intf, card = self._sound_paths(unit)
        return '\n'.join([
            'P: %s' % intf[len('/sys'):],
            'E: SUBSYSTEM=usb', 'E: DEVTYPE=usb_interface', 'E: DRIVER=snd-usb-audio',
            'E: INTERFACE=1/1/0', 'E: PRODUCT=%x/%x/100' % (unit.vid, unit.pid),
            'A: bInterfaceNumber=01', 'A: bInterfaceClass=01', '',
            'P: %s' % card[len('/sys'):],
            'E: SUBSYSTEM=sound',
            'A: id=%s' % ('Mic%d' % unit.sound_card), 'A: number=%d' % unit.sound_card, '',
        ]) + '\n'

    def add_sound_card(self, unit, number):
        """Gives a plugged unit its sound card now (the kernel registers a unit's audio
        interface independently of its HID interface, sometimes later)."""
        unit.sound_card = number
        if not self.tb.add_from_string(self._sound_record(unit)):
            raise RuntimeError('add_from_string failed')
        unit.sound_plugged = True

    def remove_sound_card(self, unit):
        intf, card = self._sound_paths(unit)
        self.tb.uevent(card, 'remove')
        self.tb.uevent(intf, 'remove')
        self.tb.remove_device(card)
        self.tb.remove_device(intf)
        unit.sound_plugged = False

    # --- plug / unplug ---
    def plug(self, unit):
        """Adds the unit's device tree. umockdev announces every new sysfs device with an
        'add' uevent as it creates it (parent first, like the kernel), so a running daemon
        sees a hotplug; a daemon started later finds the unit by enumeration. Returns the
        hidraw nodes in interface order."""
        assert id(unit) not in self.units, 'unit already plugged'
        if unit.port is None:
            unit.port = self._next_port
            self._next_port += 1
        unit.devnum = 10 + self._next_hid   # a fresh device number per plug, like USB
        nodes = []
        for iface in unit.interfaces:
            hid_name = '0003:%04X:%04X.%04X' % (unit.vid, unit.pid, self._next_hid)
            self._next_hid += 1
            nodes.append(Node(self, unit, iface, self._next_hidraw, hid_name))
            self._next_hidraw += 1
        # The ioctl handlers must be in place before the 'add' uevents: a daemon that
        # opens the node at once needs HIDIOCGRDESCSIZE answered.
        for n in nodes:
            n.handler = UMockdev.IoctlBase()
            n.handler.connect('handle-ioctl', n._on_ioctl)
            self.tb.attach_ioctl(n.devnode, n.handler)
        if not self.tb.add_from_string(self._record(unit, nodes)):
            raise RuntimeError('add_from_string failed')
        if unit.sound_card is not None:
            self.add_sound_card(unit, unit.sound_card)
        for n in nodes:
            n.fd = self.tb.get_dev_fd(n.devnode)
            assert n.fd >= 0, 'no device fd for %s' % n.devnode
            os.set_blocking(n.fd, False)
            with self._lock:
                self._nodes_by_fd[n.fd] = n
        self._wake()
        self.units[id(unit)] = nodes
        return nodes

    def nodes(self, unit):
        return self.units[id(unit)]

    def node(self, unit, usage_iface=None):
        """The unit's node for interface number `usage_iface`, or its vendor/main node."""
        nodes = self.units[id(unit)]
        if usage_iface is not None:
            return next(n for n in nodes if n.iface.number == usage_iface)
        for n in nodes:
            if n.iface.responder or n.iface.out_len:
                return n
        return nodes[-1]

    def reenumerate(self, unit, mode):
        """What a SpeechMike does after SET_EVENT_MODE: it leaves and comes back in `mode`,
        in browser mode under product id 0fa0 with the joystick collection (a SpeechOne /
        Ambient keeps 0c1e), otherwise under its HID-mode product id. Returns the new unit
        (same serial and model)."""
        self.unplug(unit)
        if mode == MODE_BROWSER and unit.hid_pid != 0x0C1E:
            new = speechmike_browser(unit.serial, unit.model)
            new.hid_pid = unit.hid_pid
        else:
            new = speechmike(unit.serial, unit.model, pid=unit.hid_pid)
        new.event_mode = mode
        self.plug(new)
        return new

    def unplug(self, unit):
        """Removes the unit like the kernel does: 'remove' uevents children first, then the
        sysfs tree and device nodes."""
        nodes = self.units.pop(id(unit))
        for n in nodes:
            with n._wlock:
                n.gone = True
        if unit.sound_plugged:
            self.remove_sound_card(unit)
        for n in nodes:
            self.tb.uevent(n.syspath, 'remove')
            self.tb.uevent(n.hid_syspath, 'remove')
            self.tb.uevent(n.intf_syspath, 'remove')
        self.tb.uevent(nodes[0].usb_syspath, 'remove')
        with self._lock:
            for n in nodes:
                self._nodes_by_fd.pop(n.fd, None)
        self._wake()
        for n in nodes:
            try:
                self.tb.detach_ioctl(n.devnode)
            except GLib.Error:
                pass
        # remove_device() only drops the links of the device it is given (not those of its
        # children), so remove leaf first: re-adding the same names later then works.
        for n in nodes:
            self.tb.remove_device(n.syspath)
            self.tb.remove_device(n.hid_syspath)
            self.tb.remove_device(n.intf_syspath)
        self.tb.remove_device(nodes[0].usb_syspath)
        return nodes
