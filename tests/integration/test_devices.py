"""Devices against the real daemon: hotplug and stable ids, every family's buttons, the
browser-mode unit, slide switches, motion, LEDs, identification, unplug safety, keymap
commands, and fault isolation between devices."""

import asyncio
import os
import time

import pytest

import emu as E
from client import Client, by_serial
from daemon import TEST_CONFIG, Daemon, LogPipe, blocked_in_write

# ---- helpers --------------------------------------------------------------------------


def dev_id(unit):
    return '%04x-%04x-%s' % (unit.vid, unit.pid, unit.serial)


def port_id(unit):
    return '%04x-%04x-usb1-%d' % (unit.vid, unit.pid, unit.port)


def sm(word):
    return E.sm_report(word)


def check_time(msg):
    t = msg['time_ms']
    assert isinstance(t, int), msg
    assert abs(t - time.time() * 1000) < 5000, 'time_ms %d is not wall-clock now' % t


async def next_button(c, timeout=3.0):
    return await c.expect('button', timeout=timeout)


async def press_release(c, node, did, report, release, buttons):
    """Sends `report` (pressing `buttons`, in the daemon's button order), checks the next
    `button` messages are exactly those presses; repeats the report (nothing new); then
    sends `release` and checks the releases."""
    node.send(report)
    for b in buttons:
        m = await next_button(c)
        assert m == dict(m, type='button', device_id=did, button=b, pressed=True), (b, m)
        assert set(m) == {'type', 'device_id', 'button', 'pressed', 'time_ms'}, m
        check_time(m)
    # level-triggered: the same state again is no change
    node.send(report)
    await c.nothing(80, type_='button')
    node.send(release)
    for b in buttons:
        m = await next_button(c)
        assert (m['device_id'], m['button'], m['pressed']) == (did, b, False), (b, m)
        check_time(m)


async def start(spawn, *units, config=TEST_CONFIG, identified=False):
    # A SpeechMike is announced only once identification ended, so waiting for the
    # device count is enough.
    d = spawn(*units, config=config, identified=identified)
    c = await Client.connect(d.port)
    await c.claim()    # the host page: commands and its state are its own
    return d, c


async def wait_led(node, want, since, timeout=3.0):
    return await node.await_output(want, since=since, timeout=timeout)


async def initial_leds(node):
    """Waits for the LED write every attach makes (the whole state) and returns it:
    marks taken after it see only what the test causes."""
    return await node.await_output(lambda o: node.is_led_write(o), since=0)


async def send_led(c, did, led, color, mode=None):
    msg = {'type': 'led', 'device_id': did, 'led': led, 'color': color}
    if mode is not None:
        msg['mode'] = mode
    await c.send(msg)


async def until_removed(c, did, timeout=3.0):
    """Every message up to and including device.removed for did (backlog first)."""
    out = []
    deadline = time.monotonic() + timeout
    while True:
        m = await c.recv(timeout=max(0.05, deadline - time.monotonic()))
        out.append(m)
        if m['type'] == 'device.removed' and m['device_id'] == did:
            return out


# ---- 1. hotplug and stable ids ------------------------------------------------------


async def test_hotplug_add_remove_replug_same_id(spawn, emu):
    d, c = await start(spawn)
    unit = E.speechmike(serial='HOT0001', model='SMP3700')
    emu.plug(unit)
    added = await c.expect('device.added')
    dev = added['device']
    assert set(added) == {'type', 'device'}, added
    assert dev['id'] == '0911-0c1c-HOT0001'
    assert (dev['family'], dev['vendor_id'], dev['product_id'], dev['serial']) == (
        'speechmike', 0x0911, 0x0C1C, 'HOT0001'), dev
    assert (dev['model_code'], dev['model']) == (3700, 'SpeechMike Premium Touch SMP3700')
    assert dev['leds'] == ['record', 'instruction', 'ins_ovr', 'f1', 'f2', 'f3', 'f4']
    assert dev['led_colors'] == ['off', 'red', 'green']
    assert dev['led_modes'] == ['on', 'blink_slow', 'blink_fast']
    assert dev['slider'] == []
    assert set(dev['buttons']) == {'record', 'stop', 'play', 'rewind', 'forward', 'eol',
                                   'ins_ovr', 'instruction', 'f1', 'f2', 'f3', 'f4',
                                   'command', 'scan_end', 'scan_success'}, dev
    # the full object is the one /status shows
    assert d.status()['devices'] == [dev]

    emu.unplug(unit)
    rm = await c.expect('device.removed')
    assert rm == {'type': 'device.removed', 'device_id': '0911-0c1c-HOT0001'}
    assert d.wait_devices(0) == []

    emu.plug(unit)
    again = await c.expect('device.added')
    assert again['device'] == dev
    await c.nothing(150, type_='device.added')
    await c.close()


async def test_vec_pedal_without_serial_id_from_port(spawn, emu):
    d, c = await start(spawn)
    a = E.vec_pedal()
    emu.plug(a)
    dev = (await c.expect('device.added'))['device']
    assert dev['serial'] is None
    assert dev['id'] == port_id(a) == '05f3-00ff-usb1-%d' % a.port, dev
    emu.unplug(a)
    assert (await c.expect('device.removed'))['device_id'] == dev['id']
    # a second pedal on another port is another device
    b = E.vec_pedal()
    emu.plug(b)
    other = (await c.expect('device.added'))['device']
    assert other['id'] == port_id(b) and other['id'] != dev['id'], (dev, other)
    # the first pedal back in its port: its old id
    emu.plug(a)
    back = (await c.expect('device.added'))['device']
    assert back['id'] == dev['id']
    assert sorted(x['id'] for x in d.status()['devices']) == sorted([dev['id'], other['id']])
    # and it works under that id
    emu.node(a).send(b'\x02\x00')
    m = await next_button(c)
    assert (m['device_id'], m['button'], m['pressed']) == (dev['id'], 'pedal_middle', True)
    await c.close()


async def test_id_characters_and_length(spawn, emu):
    """Ids stay within [A-Za-z0-9._-] and 64 characters whatever the serial says."""
    odd = E.foot_control(serial='AB 12/34:x\u00e9')
    long_ = E.foot_control(serial='L' * 80)
    d, c = await start(spawn, odd, long_)
    ids = {x['serial']: x['id'] for x in d.status()['devices']}
    assert ids['L' * 80] == '0911-1844-' + 'L' * 54, ids
    oid = ids[odd.serial]
    assert oid.startswith('0911-1844-AB_12_34_x'), ids
    assert all(ch.isascii() and (ch.isalnum() or ch in '._-') for ch in oid), oid
    # the id is what led requests and events use
    emu.node(odd).send(b'\x01')
    m = await next_button(c)
    assert m['device_id'] == oid, m
    await c.close()


async def test_units_sharing_a_serial_get_distinct_ids(spawn, emu):
    a = E.foot_control(serial='SAME0001')
    d, c = await start(spawn, a)
    b = E.foot_control(serial='SAME0001')
    emu.plug(b)
    added = (await c.expect('device.added'))['device']
    assert added['id'] == '0911-1844-usb1-%d-SAME0001' % b.port, added
    assert added['serial'] == 'SAME0001'
    ids = sorted(x['id'] for x in d.status()['devices'])
    assert ids == sorted(['0911-1844-SAME0001', added['id']]), ids
    # events and removal name the right unit
    emu.node(b).send(b'\x02')
    m = await next_button(c)
    assert (m['device_id'], m['button']) == (added['id'], 'play'), m
    await c.expect('command', device_id=added['id'], command='record.start')
    emu.unplug(a)
    msgs = await until_removed(c, '0911-1844-SAME0001')
    assert [m['type'] for m in msgs] == ['device.removed'], msgs
    assert [x['id'] for x in d.status()['devices']] == [added['id']]
    await c.close()


# ---- 2. every family's buttons --------------------------------------------------------

SPEECHMIKE_BUTTONS = [
    (0x0100, 'record'), (0x0200, 'stop'), (0x0400, 'play'), (0x0800, 'forward'),
    (0x1000, 'rewind'), (0x2000, 'eol'), (0x4000, 'ins_ovr'), (0x8000, 'instruction'),
    (0x0001, 'scan_end'), (0x0002, 'f1'), (0x0004, 'f2'), (0x0008, 'f3'), (0x0010, 'f4'),
    (0x0020, 'command'), (0x0080, 'scan_success'),
]

POWERMIC4_BUTTONS = [
    (0x0100, 'record'), (0x0400, 'play'), (0x0800, 'tab_forward'), (0x1000, 'tab_backward'),
    (0x2000, 'rewind'), (0x4000, 'forward'), (0x8000, 'enter'),
    (0x0002, 'f1'), (0x0004, 'f2'), (0x0008, 'f3'), (0x0010, 'f4'), (0x0020, 'command'),
]

POWERMIC3_BUTTONS = [
    ('000100', 'transcribe'), ('000200', 'tab_backward'), ('000400', 'record'),
    ('000800', 'tab_forward'), ('001000', 'rewind'), ('002000', 'forward'),
    ('004000', 'play'), ('008000', 'custom_left'), ('000001', 'enter'),
    ('000002', 'custom_right'),
    ('010000', 'trigger'),   # trigger as in B's capture (byte 0 bit 0)
    ('000010', 'trigger'),   # trigger as HID button 13 (byte 2 bit 4)
]

FOOT_BUTTONS = [('01', 'rewind'), ('02', 'play'), ('04', 'forward'), ('08', 'eol')]
VEC_BUTTONS = [('0100', 'pedal_left'), ('0200', 'pedal_middle'), ('0400', 'pedal_right')]


async def test_speechmike_buttons(spawn, emu):
    u = E.speechmike(serial='BTN0001', model='SMP3700')
    d, c = await start(spawn, u)
    node = emu.node(u)
    for word, name in SPEECHMIKE_BUTTONS:
        await press_release(c, node, dev_id(u), sm(word), sm(0), [name])
    # the unmapped bit (byte 7 0x40) is nothing
    node.send(sm(0x0040))
    await c.nothing(150, type_='button')
    node.send(sm(0))
    # two buttons changing in one report: both, in button order, and both released
    await press_release(c, node, dev_id(u), sm(0x0102), sm(0), ['record', 'f1'])
    # one of two held buttons released: only that one
    node.send(sm(0x2010))
    got = [await next_button(c), await next_button(c)]
    assert [(m['button'], m['pressed']) for m in got] == [('eol', True), ('f4', True)], got
    node.send(sm(0x0010))
    m = await next_button(c)
    assert (m['button'], m['pressed']) == ('eol', False), m
    node.send(sm(0))
    m = await next_button(c)
    assert (m['button'], m['pressed']) == ('f4', False), m
    await c.nothing(150, type_='button')
    await c.close()


async def test_powermic4_buttons(spawn, emu):
    u = E.powermic4(serial='PM4BTN')
    d, c = await start(spawn, u, identified=False)
    node = emu.node(u)
    assert node.queries() == [], 'a PowerMic 4 is not identified (type from its PID)'
    dev = d.status()['devices'][0]
    assert (dev['family'], dev['model'], dev['model_code']) == ('powermic4', 'PowerMic 4', 0)
    for word, name in POWERMIC4_BUTTONS:
        await press_release(c, node, dev_id(u), sm(word), sm(0), [name])
    # bits with no PowerMic 4 button
    for word in (0x0001, 0x0040, 0x0080, 0x0200):
        node.send(sm(word))
        await c.nothing(80, type_='button')
        node.send(sm(0))
    await c.nothing(80, type_='button')
    await press_release(c, node, dev_id(u), sm(0x0104), sm(0), ['record', 'f2'])
    await c.close()


async def test_powermic3_buttons(spawn, emu):
    u = E.powermic3(serial='PM3BTN')
    d, c = await start(spawn, u, identified=False)
    node = emu.node(u)
    assert node.queries() == []
    for hexrep, name in POWERMIC3_BUTTONS:
        await press_release(c, node, dev_id(u), bytes.fromhex(hexrep), b'\0\0\0', [name])
    # both trigger homes at once are one trigger
    await press_release(c, node, dev_id(u), bytes.fromhex('010010'), b'\0\0\0', ['trigger'])
    # the trackball's mouse buttons are not dictation buttons
    for hexrep in ('000004', '000008'):
        node.send(bytes.fromhex(hexrep))
        await c.nothing(80, type_='button')
        node.send(b'\0\0\0')
    await press_release(c, node, dev_id(u), bytes.fromhex('004400'), b'\0\0\0',
                        ['record', 'play'])
    await c.close()


async def test_foot_control_buttons(spawn, emu):
    u = E.foot_control(serial='FCBTN')
    d, c = await start(spawn, u, identified=False)
    node = emu.node(u)
    for hexrep, name in FOOT_BUTTONS:
        await press_release(c, node, dev_id(u), bytes.fromhex(hexrep), b'\0', [name])
    node.send(b'\x10')
    await c.nothing(120, type_='button')
    node.send(b'\0')
    await c.nothing(80, type_='button')
    await press_release(c, node, dev_id(u), b'\x05', b'\0', ['rewind', 'forward'])
    await c.close()


async def test_vec_pedal_buttons(spawn, emu):
    u = E.vec_pedal()
    d, c = await start(spawn, u, identified=False)
    node = emu.node(u)
    did = port_id(u)
    for hexrep, name in VEC_BUTTONS:
        await press_release(c, node, did, bytes.fromhex(hexrep), b'\0\0', [name])
    await press_release(c, node, did, bytes.fromhex('0700'), b'\0\0',
                        ['pedal_left', 'pedal_middle', 'pedal_right'])
    # left+middle → middle+right: left released, right pressed, middle unchanged
    node.send(bytes.fromhex('0300'))
    got = [await next_button(c), await next_button(c)]
    assert [(m['button'], m['pressed']) for m in got] == [
        ('pedal_left', True), ('pedal_middle', True)], got
    node.send(bytes.fromhex('0600'))
    got = [await next_button(c), await next_button(c)]
    assert [(m['button'], m['pressed']) for m in got] == [
        ('pedal_left', False), ('pedal_right', True)], got
    node.send(bytes.fromhex('0000'))
    got = [await next_button(c), await next_button(c)]
    assert [(m['button'], m['pressed']) for m in got] == [
        ('pedal_middle', False), ('pedal_right', False)], got
    await c.nothing(120, type_='button')
    await c.close()


# ---- 3. browser / gamepad unit (0911:0fa0) ------------------------------------------

GAMEPAD_BUTTONS = [
    ('0100', 'rewind'), ('0200', 'play'), ('0400', 'forward'), ('1000', 'ins_ovr'),
    ('2000', 'record'), ('4000', 'command'), ('0002', 'instruction'), ('0004', 'f1'),
    ('0008', 'f2'), ('0010', 'f3'), ('0020', 'f4'), ('0040', 'eol'),
]


async def test_browser_mode_unit_is_one_device(spawn, emu):
    u = E.speechmike_browser(serial='BRW0001', model='SMP3700')
    d, c = await start(spawn, u)
    devs = d.status()['devices']
    assert len(devs) == 1, devs
    dev = devs[0]
    assert (dev['id'], dev['family'], dev['product_id']) == ('0911-0fa0-BRW0001',
                                                             'speechmike', 0x0FA0), dev
    assert dev['model_code'] == 3700, dev
    assert {name for _, name in GAMEPAD_BUTTONS} <= set(dev['buttons']), dev
    assert c.hello['devices'] == [dev]
    vendor, pad = emu.node(u, 4), emu.node(u, 5)
    # identification ran on the vendor collection only
    assert [q[1] for q in vendor.queries()] == [0x83, 0x8B, 0x8D]
    assert pad.outputs == []
    did = dev['id']
    for hexrep, name in GAMEPAD_BUTTONS:
        await press_release(c, pad, did, bytes.fromhex(hexrep), b'\0\0', [name])
    for hexrep in ('0800', '8000', '0001', '0080'):   # no event (F.5)
        pad.send(bytes.fromhex(hexrep))
        await c.nothing(80, type_='button')
        pad.send(b'\0\0')
    await c.nothing(80, type_='button')
    # LEDs go to the vendor collection
    mark = vendor.mark()
    await send_led(c, did, 'f1', 'red')
    await wait_led(vendor, E.sm_leds(0, 0, 0xC0), mark)
    assert pad.outputs == []
    # motion comes from the vendor collection
    vendor.send(E.sm_motion(False))
    m = await c.expect('motion')
    assert m == {'type': 'motion', 'device_id': did, 'state': 'picked_up'}
    assert len(d.status()['devices']) == 1
    emu.unplug(u)
    msgs = await until_removed(c, did)
    assert [m['type'] for m in msgs if m['type'].startswith('device.')] == ['device.removed']
    await c.close()


async def test_browser_mode_unit_hotplugged_announced_identified(spawn, emu):
    """The gamepad collection opens at once; the unit must still be announced with the
    model its vendor collection identifies (clients get no later update)."""
    d, c = await start(spawn)
    u = E.speechmike_browser(serial='BRW0002', model='SMP3710')
    emu.plug(u)
    dev = (await c.expect('device.added'))['device']
    assert (dev['id'], dev['model_code']) == ('0911-0fa0-BRW0002', 3710), dev
    assert dev['slider'] == ['record', 'stop', 'play', 'rewind'], dev
    await c.nothing(200, type_='device.added')
    assert d.status()['devices'] == [dev]
    # the slide switch on the gamepad collection: record bit 0x20 is a position
    pad = emu.node(u, 5)
    pad.send(bytes.fromhex('2000'))
    m = await c.expect('slider')
    assert (m['device_id'], m['position']) == (dev['id'], 'record'), m
    cmd = await c.expect('command')
    assert (cmd['command'], cmd['gesture']) == ('record.start', 'slider'), cmd
    await c.nothing(100, type_='button')
    await c.close()


async def test_browser_button_held_during_identification(spawn, emu):
    """A gamepad button pressed while the vendor collection still identifies the unit
    (here: a silent one, 2 × 200 ms) is reported once the unit is announced."""
    d, c = await start(spawn)
    u = E.speechmike_browser(serial='BRWEARLY', model='silent')
    emu.plug(u)
    vendor, pad = emu.node(u, 4), emu.node(u, 5)
    vendor.wait_output(lambda o: len(o) > 1 and o[1] == 0x83, timeout=3)
    pad.send(bytes.fromhex('0010'))       # f3
    added = await c.expect('device.added')
    assert added['device']['model_code'] == 0, added
    m = await next_button(c)
    assert (m['device_id'], m['button'], m['pressed']) == (dev_id(u), 'f3', True), m
    assert c.seen.index(added) < c.seen.index(m), 'button before its device.added'
    assert len(vendor.queries(0x83)) == 2
    pad.send(b'\0\0')
    m = await next_button(c)
    assert (m['button'], m['pressed']) == ('f3', False), m
    await c.close()


# ---- 4. slide switch models ---------------------------------------------------------


async def expect_slider(c, node, did, word, pos):
    """Sends a button word that moves the slider to `pos` and checks the slider message."""
    node.send(sm(word))
    m = await c.expect('slider')
    assert set(m) == {'type', 'device_id', 'position', 'time_ms'}, m
    assert (m['device_id'], m['position']) == (did, pos), m
    check_time(m)


async def test_int_slider_positions_and_record(spawn, emu):
    u = E.speechmike(serial='SLI0001', model='SMP3710')
    d, c = await start(spawn, u)
    did = dev_id(u)
    dev = d.status()['devices'][0]
    assert (dev['model_code'], dev['model']) == (3710, 'SpeechMike Premium Touch SMP3710')
    assert dev['slider'] == ['record', 'stop', 'play', 'rewind'], dev
    assert not {'record', 'stop', 'play', 'rewind'} & set(dev['buttons']), dev
    assert {'forward', 'eol', 'f1'} <= set(dev['buttons']), dev
    node = emu.node(u)

    async def slider(word, pos):
        await expect_slider(c, node, did, word, pos)

    await slider(0x0400, 'play')
    await c.nothing(100, type_='command')
    await slider(0x0100, 'record')
    cmd = await c.expect('command')
    assert cmd == {'type': 'command', 'device_id': did, 'command': 'record.start',
                   'button': None, 'gesture': 'slider'}
    # the slider position is sticky in every report: F1 pressed and released at record
    node.send(sm(0x0102))
    m = await next_button(c)
    assert (m['button'], m['pressed']) == ('f1', True), m
    node.send(sm(0x0100))
    m = await next_button(c)
    assert (m['button'], m['pressed']) == ('f1', False), m
    await c.nothing(100, type_='slider')
    f1 = await c.expect('command', button='f1')
    assert (f1['command'], f1['gesture']) == ('report.save', 'press'), f1
    await slider(0x0200, 'stop')
    cmd = await c.expect('command')
    assert cmd == {'type': 'command', 'device_id': did, 'command': 'record.stop',
                   'button': None, 'gesture': 'slider'}
    await slider(0x1000, 'rewind')
    await c.nothing(150, type_='command')
    # slider positions are never button presses
    for m in c.seen:
        if m['type'] == 'button':
            assert m['button'] == 'f1', m
    await c.close()


async def test_phi_slider_forward_is_a_position(spawn, emu):
    u = E.speechmike(serial='PHI0001', model='LFH3520')
    d, c = await start(spawn, u)
    did = dev_id(u)
    dev = d.status()['devices'][0]
    assert dev['model_code'] == 3520 and dev['slider'] == ['stop', 'play', 'rewind',
                                                           'forward'], dev
    assert 'record' in dev['buttons'] and 'forward' not in dev['buttons'], dev
    node = emu.node(u)
    await expect_slider(c, node, did, 0x0800, 'forward')
    # record is a push button here, pressed while the slider sits at forward
    node.send(sm(0x0900))
    m = await next_button(c)
    assert (m['button'], m['pressed']) == ('record', True), m
    cmd = await c.expect('command')
    assert (cmd['command'], cmd['button'], cmd['gesture']) == ('record.toggle', 'record',
                                                               'press')
    node.send(sm(0x0800))
    m = await next_button(c)
    assert (m['button'], m['pressed']) == ('record', False), m
    await c.nothing(150, type_='slider')
    assert not [m for m in c.seen if m['type'] == 'button' and m['button'] == 'forward']
    await c.close()


# ---- 5. motion ----------------------------------------------------------------------


async def test_motion_deduplicated(spawn, emu):
    u = E.speechmike(serial='MOT0001')
    d, c = await start(spawn, u)
    did = dev_id(u)
    node = emu.node(u)
    for laid, state in ((False, 'picked_up'), (True, 'laid_down'), (False, 'picked_up')):
        node.send(E.sm_motion(laid))
        m = await c.expect('motion')
        assert m == {'type': 'motion', 'device_id': did, 'state': state}
        node.send(E.sm_motion(laid))
        await c.nothing(120, type_='motion')
    # any byte-8 value other than 1 means picked up (already the state: nothing)
    node.send(bytes.fromhex('9e0000000000000002'))
    await c.nothing(120, type_='motion')
    assert not [m for m in c.seen if m['type'] in ('button', 'slider', 'command')], c.seen
    await c.close()


# ---- 6. LEDs ----------------------------------------------------------------------------

# (led, color) → (byte6, byte7, byte8) with mode value 1 (the field is shifted)
SM_LED_FIELDS = {
    ('record', 'green'): (0, 0), ('record', 'red'): (0, 2),
    ('instruction', 'green'): (0, 4), ('instruction', 'red'): (0, 6),
    ('ins_ovr', 'green'): (1, 4), ('ins_ovr', 'red'): (1, 6),
    ('f4', 'red'): (2, 0), ('f3', 'red'): (2, 2), ('f2', 'red'): (2, 4), ('f1', 'red'): (2, 6),
    ('f4', 'green'): (2, 0), ('f3', 'green'): (2, 2), ('f2', 'green'): (2, 4),
    ('f1', 'green'): (2, 6),
}
MODE_VALUE = {'on': 3, 'blink_slow': 1, 'blink_fast': 2}


def sm_led_report(led, color, mode):
    b = [0, 0, 0]
    idx, shift = SM_LED_FIELDS[(led, color)]
    b[idx] = MODE_VALUE[mode] << shift
    return E.sm_leds(*b)


async def test_state_drives_record_led(spawn, emu):
    u = E.speechmike(serial='LED0001')
    pm3 = E.powermic3(serial='PM3LED')
    d, c = await start(spawn, u, pm3)
    n, p = emu.node(u), emu.node(pm3)
    # attach wrote the whole state once: everything off
    await initial_leds(n)
    await initial_leds(p)
    await asyncio.sleep(0.1)
    assert n.led_writes() == [E.sm_leds()], n.outputs
    assert p.led_writes() == [b'\0\0'], p.outputs
    cases = [({'recording': True, 'report_open': False}, E.sm_leds(0x0C), b'\0\x01'),
             ({'recording': False, 'report_open': True}, E.sm_leds(0x03), b'\0\x02'),
             ({'recording': True, 'report_open': True}, E.sm_leds(0x0C), b'\0\x01'),
             ({'recording': False, 'report_open': False}, E.sm_leds(), b'\0\0')]
    for st, want_sm, want_pm3 in cases:
        ms, mp = n.mark(), p.mark()
        await c.send(dict(st, type='state'))
        assert await wait_led(n, lambda o: n.is_led_write(o), ms) == want_sm, st
        assert await wait_led(p, lambda o: p.is_led_write(o), mp) == want_pm3, st
    await c.nothing(150, type_='error')
    await c.close()


async def test_led_every_speechmike_led_and_mode(spawn, emu):
    u = E.speechmike(serial='LED0002')
    d, c = await start(spawn, u)
    n, did = emu.node(u), dev_id(u)
    assert await initial_leds(n) == E.sm_leds()
    for (led, color) in SM_LED_FIELDS:
        for mode in ('on', 'blink_slow', 'blink_fast'):
            mark = n.mark()
            await send_led(c, did, led, color, mode)
            got = await wait_led(n, lambda o: n.is_led_write(o), mark)
            assert got == sm_led_report(led, color, mode), (led, color, mode, got.hex(' '))
            mark = n.mark()
            await send_led(c, did, led, 'off', mode)
            got = await wait_led(n, lambda o: n.is_led_write(o), mark)
            assert got == E.sm_leds(), (led, 'off', got.hex(' '))
    # mode defaults to on; LEDs combine in one report (the whole state each time)
    mark = n.mark()
    await send_led(c, did, 'record', 'red')
    await wait_led(n, E.sm_leds(0x0C), mark)
    mark = n.mark()
    await send_led(c, did, 'f1', 'green', 'blink_fast')
    await wait_led(n, E.sm_leds(0x0C, 0, 0x80), mark)
    mark = n.mark()
    await send_led(c, did, 'ins_ovr', 'green', 'blink_slow')
    await wait_led(n, E.sm_leds(0x0C, 0x10, 0x80), mark)
    await c.nothing(100, type_='error')
    await c.close()


async def test_powermic3_led(spawn, emu):
    u = E.powermic3(serial='PM3LED2')
    d, c = await start(spawn, u, identified=False)
    n, did = emu.node(u), dev_id(u)
    assert await initial_leds(n) == b'\0\0'
    dev = d.status()['devices'][0]
    assert (dev['leds'], dev['led_colors'], dev['led_modes']) == (
        ['record'], ['off', 'red', 'green'], ['on'])
    for color, want in (('red', b'\0\x01'), ('green', b'\0\x02'), ('off', b'\0\0'),
                        ('green', b'\0\x02')):
        mark = n.mark()
        await send_led(c, did, 'record', color)
        assert await wait_led(n, lambda o: n.is_led_write(o), mark) == want, color
    mark = n.mark()
    await c.error({'type': 'led', 'device_id': did, 'led': 'record', 'color': 'red',
                   'mode': 'blink_slow'}, 'unsupported', request='led')
    await c.nothing(150, pred=lambda m: False)
    assert n.led_writes(mark) == [], 'a refused request wrote %s' % n.led_writes(mark)
    # blinking "off" is just off
    mark = n.mark()
    await send_led(c, did, 'record', 'off', 'blink_fast')
    assert await wait_led(n, lambda o: n.is_led_write(o), mark) == b'\0\0'
    await c.ping('after')
    await c.close()


async def test_led_errors_keep_connection(spawn, emu):
    u = E.speechmike(serial='LEDERR')
    fc = E.foot_control(serial='FCLED')
    pm3 = E.powermic3(serial='PM3ERR')
    d, c = await start(spawn, u, fc, pm3)
    n = emu.node(u)
    await initial_leds(n)
    await initial_leds(emu.node(pm3))
    mark = n.mark()
    await c.error({'type': 'led', 'device_id': dev_id(fc), 'led': 'record', 'color': 'red'},
                  'unknown_led', request='led')
    await c.error({'type': 'led', 'device_id': dev_id(pm3), 'led': 'f1', 'color': 'red'},
                  'unknown_led', request='led')
    await c.error({'type': 'led', 'device_id': '0911-0c1c-NOSUCH', 'led': 'record',
                   'color': 'red'}, 'unknown_device', request='led')
    await c.error({'type': 'led', 'device_id': dev_id(u), 'led': 'mute', 'color': 'red'},
                  'invalid_field', request='led')
    await c.error({'type': 'led', 'device_id': dev_id(u), 'led': 'record',
                   'color': 'blue'}, 'invalid_field', request='led')
    await c.error({'type': 'led', 'device_id': dev_id(u), 'led': 'record', 'color': 'red',
                   'mode': 'strobe'}, 'invalid_field', request='led')
    await c.nothing(100, type_='error')
    assert n.led_writes(mark) == []
    # still usable: a ping and a working LED request
    await c.ping('still-here')
    await send_led(c, dev_id(u), 'instruction', 'red')
    await wait_led(n, E.sm_leds(0xC0), mark)
    # a device that was removed is unknown
    emu.unplug(fc)
    await c.expect('device.removed', device_id=dev_id(fc))
    await c.error({'type': 'led', 'device_id': dev_id(fc), 'led': 'record', 'color': 'red'},
                  'unknown_device', request='led')
    await c.close()


async def test_state_applies_to_later_device(spawn, emu):
    d, c = await start(spawn)
    await c.send({'type': 'state', 'recording': True, 'report_open': True})
    await c.ping('sync')
    u = E.speechmike(serial='LATE0001')
    pm3 = E.powermic3(serial='PM3LATE')
    emu.plug(u)
    emu.plug(pm3)
    await c.expect('device.added', pred=lambda m: m['device']['id'] == dev_id(u))
    await c.expect('device.added', pred=lambda m: m['device']['id'] == dev_id(pm3))
    n, p = emu.node(u), emu.node(pm3)
    await wait_led(n, E.sm_leds(0x0C), 0)
    await wait_led(p, b'\0\x01', 0)
    await c.nothing(150, pred=lambda m: False)
    assert n.led_writes() == [E.sm_leds(0x0C)], n.outputs
    assert p.led_writes() == [b'\0\x01'], p.outputs
    # report open only, for a device plugged after that
    await c.send({'type': 'state', 'recording': False, 'report_open': True})
    await wait_led(n, E.sm_leds(0x03), 0)
    u2 = E.speechmike_air(serial='LATE0002')
    emu.plug(u2)
    await c.expect('device.added', pred=lambda m: m['device']['id'] == dev_id(u2))
    n2 = emu.node(u2)
    await wait_led(n2, E.sm_leds(0x03), 0)
    assert n2.led_writes() == [E.sm_leds(0x03)], n2.outputs
    await c.close()


# ---- 7. identification ------------------------------------------------------------------

IDENT = [
    # (factory, model key, code, model name, queries in order)
    (E.speechmike, 'SMP3700', 3700, 'SpeechMike Premium Touch SMP3700', [0x83, 0x8B, 0x8D]),
    (E.speechmike, 'SMP3710', 3710, 'SpeechMike Premium Touch SMP3710', [0x83, 0x8B, 0x8D]),
    (E.speechmike, 'LFH3520', 3520, 'SpeechMike Premium LFH3520', [0x83, 0x8B, 0x8D]),
    (E.speechmike, 'LFH3200', 3200, 'SpeechMike III LFH3200', [0x83, 0x87, 0x8D]),
    (E.speechmike, 'LFH3210', 3210, 'SpeechMike III LFH3210', [0x83, 0x87, 0x8D]),
    (E.speechmike_air, 'SMP4000', 4000, 'SpeechMike Premium Air SMP4000',
     [0x83, 0x8B, 0x91, 0x8D]),
    (E.speechone, 'PSM6000', 6001, 'SpeechOne PSM6000', [0x83, 0x8B, 0x96, 0x8D]),
    (E.speechone, 'PSM5000', 5000, 'SpeechMike Ambient PSM5000', [0x83, 0x8B, 0x91, 0x96, 0x8D]),
]


@pytest.mark.parametrize('factory,model,code,name,queries', IDENT, ids=[i[1] for i in IDENT])
async def test_identification(spawn, emu, factory, model, code, name, queries):
    u = factory(serial='ID' + model, model=model)
    d, c = await start(spawn, u)
    dev = by_serial(d.status()['devices'], u.serial)
    assert (dev['model_code'], dev['model']) == (code, name), dev
    assert (dev['event_mode'], dev['warning'], dev['virtual']) == ('hid', None, False), dev
    assert c.hello['devices'] == [dev]
    node = emu.node(u)
    qs = node.queries()
    assert [q[1] for q in qs] == queries, [q.hex(' ') for q in qs]
    for q in qs:   # report ID, command, eight zero payload bytes
        assert q == bytes([0, q[1]]) + bytes(8), q.hex(' ')
    # the identified unit works
    node.send(sm(0x0002))
    m = await next_button(c)
    assert (m['device_id'], m['button'], m['pressed']) == (dev['id'], 'f1', True)
    await c.close()


async def test_silent_device_retried_once_then_generic(spawn, emu):
    d, c = await start(spawn)
    u = E.speechmike(serial='SILENT01', model='silent')
    t0 = time.monotonic()
    emu.plug(u)
    node = emu.node(u)
    # a button pressed while the daemon still waits for an answer is delivered after
    node.send(sm(0x0100))
    added = await c.expect('device.added', timeout=5)
    elapsed = time.monotonic() - t0
    dev = added['device']
    assert (dev['model_code'], dev['model']) == (0, 'SpeechMike (HID mode)'), dev
    # identify_timeout_ms 200: the first query, its timeout, one retry, its timeout
    assert elapsed >= 0.38, 'announced after %.3fs: fewer than two timeouts' % elapsed
    assert node.queries() == [bytes([0, 0x83]) + bytes(8)] * 2, \
        [q.hex(' ') for q in node.queries()]
    m = await next_button(c)
    assert (m['device_id'], m['button'], m['pressed']) == (dev['id'], 'record', True), m
    node.send(sm(0))
    m = await next_button(c)
    assert (m['button'], m['pressed']) == ('record', False), m
    await press_release(c, node, dev['id'], sm(0x0001), sm(0), ['scan_end'])
    await c.nothing(200, type_='device.added')
    assert len(node.queries()) == 2
    await c.close()


async def test_partial_answers_then_silence(spawn, emu):
    """A device that answers the first query but not the second: still two tries of the
    second, then the generic model."""
    u = E.speechmike(serial='HALF0001', model='half_silent')
    d = spawn()
    c = await Client.connect(d.port)
    node = emu.plug(u)[-1]
    dev = (await c.expect('device.added', timeout=5))['device']
    assert (dev['model_code'], dev['model']) == (0, 'SpeechMike (HID mode)'), dev
    assert [q[1] for q in node.queries()] == [0x83, 0x8B, 0x8B], \
        [q.hex(' ') for q in node.queries()]
    node.send(sm(0x0008))
    m = await next_button(c)
    assert (m['device_id'], m['button'], m['pressed']) == (dev['id'], 'f3', True), m
    await c.close()


async def test_timeout_after_device_code_keeps_the_model(spawn, emu):
    """An SMP4010 whose firmware query (0x91) goes unanswered stays an SMP4010, slide
    switch included, and the log names the query that went unanswered."""
    d = spawn()
    c = await Client.connect(d.port)
    u = E.speechmike_air(serial='NOFW0001', model='SMP4010_nofw')
    node = emu.plug(u)[-1]
    dev = (await c.expect('device.added', timeout=5))['device']
    assert (dev['model_code'], dev['model']) == (4010, 'SpeechMike Premium Air SMP4010'), dev
    assert dev['slider'] == ['record', 'stop', 'play', 'rewind'], dev
    assert [q[1] for q in node.queries()]== [0x83, 0x8B, 0x91, 0x91, 0x8D], \
        [q.hex(' ') for q in node.queries()]
    d.wait_log(r'no answer to identification query 0x91; keeping device code 4010')
    await expect_slider(c, node, dev['id'], 0x0100, 'record')
    await c.close()


async def test_unknown_device_code_is_kept(spawn, emu):
    u = E.speechmike(serial='UNK04711', model='SM4711')
    d, c = await start(spawn, u)
    dev = by_serial(d.status()['devices'], u.serial)
    assert (dev['model_code'], dev['model']) == (4711, 'SpeechMike (device code 4711)'), dev
    assert dev['slider'] == [], dev
    assert c.hello['devices'] == [dev]
    node = emu.node(u)
    await press_release(c, node, dev['id'], sm(0x0200), sm(0), ['stop'])
    await c.close()


async def test_browser_mode_slider_stop_has_no_bit(spawn, emu):
    """The joystick report of a browser-mode slider model has no STOP bit: a report
    without a position bit is the STOP position."""
    u = E.speechmike_browser(serial='BRWSTOP1', model='SMP3710')
    d, c = await start(spawn, u)
    did = dev_id(u)
    pad = emu.node(u, 5)
    pad.send(bytes.fromhex('2000'))
    m = await c.expect('slider')
    assert m['position'] == 'record', m
    assert (await c.expect('command'))['command'] == 'record.start'
    pad.send(bytes.fromhex('0000'))
    m = await c.expect('slider')
    assert (m['device_id'], m['position']) == (did, 'stop'), m
    cmd = await c.expect('command')
    assert (cmd['command'], cmd['gesture']) == ('record.stop', 'slider'), cmd
    # a button pressed and released at STOP is a button, and STOP is not repeated
    await press_release(c, pad, did, bytes.fromhex('0004'), b'\0\0', ['f1'])
    await c.nothing(100, type_='slider')
    pad.send(bytes.fromhex('0200'))
    assert (await c.expect('slider'))['position'] == 'play'
    await c.close()


# ---- 8. unplug mid-press / while recording ---------------------------------------------


async def test_unplug_mid_press_releases_first(spawn, emu):
    u = E.speechmike(serial='UNP0001')
    other = E.foot_control(serial='FCUNP')
    d, c = await start(spawn, u, other)
    did = dev_id(u)
    node = emu.node(u)
    node.send(sm(0x0110))    # record + f4 held
    for b in ('record', 'f4'):
        m = await next_button(c)
        assert (m['button'], m['pressed']) == (b, True)
    await c.settle(100)
    emu.unplug(u)
    msgs = await until_removed(c, did)
    kinds = [(m['type'], m.get('button'), m.get('pressed')) for m in msgs]
    assert kinds == [('button', 'record', False), ('button', 'f4', False),
                     ('device.removed', None, None)], msgs
    for m in msgs[:2]:
        assert m['device_id'] == did
        check_time(m)
    # not recording: no record.stop
    await c.nothing(150, type_='command')
    await c.close()


async def test_unplug_mid_hold_never_fires_hold_command(spawn, emu):
    """EOL (report.sign on hold) pulled out before hold_ms: the pending hold dies with
    the unit; a destructive command must not fire for a device that is gone."""
    u = E.speechmike(serial='UNPH0001')
    d, c = await start(spawn, u)
    did = dev_id(u)
    emu.node(u).send(sm(0x2000))
    await c.expect('button', button='eol', pressed=True)
    emu.unplug(u)
    msgs = await until_removed(c, did)
    assert [(m['type'], m.get('button'), m.get('pressed')) for m in msgs] == [
        ('button', 'eol', False), ('device.removed', None, None)], msgs
    await c.nothing(500, type_='command')
    await c.close()


async def test_browser_unit_unplug_mid_press(spawn, emu):
    u = E.speechmike_browser(serial='BRWUNP1')
    d, c = await start(spawn, u)
    did = dev_id(u)
    emu.node(u, 5).send(bytes.fromhex('0004'))   # f1 on the gamepad collection
    await c.expect('button', device_id=did, button='f1', pressed=True)
    await c.expect('command', device_id=did, button='f1', command='report.save')
    c.drain_backlog()
    emu.unplug(u)
    msgs = await until_removed(c, did)
    assert [(m['type'], m.get('button'), m.get('pressed')) for m in msgs] == [
        ('button', 'f1', False), ('device.removed', None, None)], msgs
    await c.close()


def _int_slider(serial):
    return E.speechmike(serial=serial, model='SMP3710')


@pytest.mark.parametrize('factory,serial', [(E.speechmike, 'REC0001'),
                                            (_int_slider, 'RECSLI01'),
                                            (E.foot_control, 'RECFC01'),
                                            (E.powermic3, 'RECPM301')],
                         ids=['speechmike', 'int-slider', 'foot_control', 'powermic3'])
async def test_unplug_while_recording_stops_recording(spawn, emu, factory, serial):
    u = factory(serial=serial)
    d, c = await start(spawn, u, identified=False)
    did = dev_id(u)
    await c.send({'type': 'state', 'recording': True, 'report_open': True})
    await c.ping('sync')
    emu.unplug(u)
    msgs = await until_removed(c, did)
    assert msgs == [
        {'type': 'command', 'device_id': did, 'command': 'record.stop', 'button': None,
         'gesture': 'unplug'},
        {'type': 'device.removed', 'device_id': did}], msgs
    await c.close()


async def test_unplug_while_recording_with_held_button(spawn, emu):
    """Push-to-talk pedal held while recording: the release (with its record.stop) comes
    first, then the unplug record.stop, then the removal."""
    u = E.vec_pedal()
    d, c = await start(spawn, u, identified=False)
    did = port_id(u)
    node = emu.node(u)
    node.send(b'\x02\x00')
    cmd = await c.expect('command')
    assert (cmd['command'], cmd['button'], cmd['gesture']) == ('record.start',
                                                               'pedal_middle', 'press')
    await c.send({'type': 'state', 'recording': True, 'report_open': True})
    await c.ping('sync')
    c.drain_backlog()
    emu.unplug(u)
    msgs = await until_removed(c, did)
    assert [(m['type'], m.get('command'), m.get('button'), m.get('gesture'),
             m.get('pressed')) for m in msgs] == [
        ('button', None, 'pedal_middle', None, False),
        ('command', 'record.stop', 'pedal_middle', 'unplug', None),
        ('command', 'record.stop', None, 'unplug', None),
        ('device.removed', None, None, None, None)], msgs
    await c.close()


async def test_unplug_recording_unit_that_cannot_record(spawn, emu):
    """A unit with no record binding did not start the recording: pulling it out does
    not stop what another unit started."""
    cfg = dict(TEST_CONFIG, keymap={'vec_pedal': {'buttons': {
        'pedal_middle': {'press': None}}}})
    pedal = E.vec_pedal()
    mic = E.speechmike(serial='RECMIC01')
    d, c = await start(spawn, pedal, mic, config=cfg)
    await c.send({'type': 'state', 'recording': True, 'report_open': True})
    await c.ping('sync')
    emu.unplug(pedal)
    msgs = await until_removed(c, port_id(pedal))
    assert [m['type'] for m in msgs] == ['device.removed'], msgs
    await c.nothing(150, type_='command')
    emu.unplug(mic)
    msgs = await until_removed(c, dev_id(mic))
    assert [(m['type'], m.get('command')) for m in msgs] == [
        ('command', 'record.stop'), ('device.removed', None)], msgs
    await c.close()


async def test_unplug_not_recording_no_stop(spawn, emu):
    u = E.speechmike(serial='NOREC01')
    d, c = await start(spawn, u)
    await c.send({'type': 'state', 'recording': False, 'report_open': True})
    await c.ping('sync')
    emu.unplug(u)
    msgs = await until_removed(c, dev_id(u))
    assert [m['type'] for m in msgs] == ['device.removed'], msgs
    await c.close()


# ---- 9. keymap commands -------------------------------------------------------------------


async def test_record_press_toggles(spawn, emu):
    u = E.speechmike(serial='KEY0001')
    d, c = await start(spawn, u)
    did, node = dev_id(u), emu.node(u)
    node.send(sm(0x0100))
    cmd = await c.expect('command')
    assert cmd == {'type': 'command', 'device_id': did, 'command': 'record.toggle',
                   'button': 'record', 'gesture': 'press'}
    node.send(sm(0))
    await c.expect('button', button='record', pressed=False)
    await c.nothing(150, type_='command')
    await c.close()


async def test_eol_short_press_does_not_sign(spawn, emu):
    u = E.speechmike(serial='KEY0002')
    d, c = await start(spawn, u)
    node = emu.node(u)
    node.send(sm(0x2000))
    await c.expect('button', button='eol', pressed=True)
    await asyncio.sleep(0.05)
    node.send(sm(0))
    await c.expect('button', button='eol', pressed=False)
    # well past hold_ms (300) from the press
    await c.nothing(450, type_='command')
    await c.close()


async def test_a_release_waiting_while_the_loop_is_stalled_is_taken_before_the_hold(emu,
                                                                                    tmp_path):
    """EOL pressed, then released while the daemon's loop is stalled (blocked on a log
    line) until past hold_ms: the release, read before the deadline, waits in the queue;
    the daemon takes it before judging the hold, so the short press does not sign."""
    u = E.speechmike(serial='KEY0009')
    emu.plug(u)
    hold_ms = 3000        # room to stall the loop between the press and the release
    d = Daemon(tmp_path, config=dict(TEST_CONFIG, hold_ms=hold_ms), name='stalled')
    log = LogPipe(tmp_path / 'log.fifo')
    try:
        d.start(output=log.w)
        d.wait_devices(1, identified=True)
        c = await Client.connect(d.port)
        await c.claim()
        node = emu.node(u)
        node.send(sm(0x2000))
        await c.expect('button', button='eol', pressed=True)     # the hold timer runs
        t = time.monotonic()
        await log.stall(d)
        node.send(sm(0))
        assert time.monotonic() - t < hold_ms / 1000 - 0.5, 'released too late to tell'
        await asyncio.sleep(hold_ms / 1000)
        assert blocked_in_write(d.proc.pid), 'the stall ended early'
        log.draining.set()
        await c.expect('button', button='eol', pressed=False)
        await c.nothing(500, type_='command')
        await c.close()
    finally:
        d.stop()
        log.close()
    log.checked(d)


async def test_eol_hold_signs_exactly_once(spawn, emu):
    u = E.speechmike(serial='KEY0003')
    d, c = await start(spawn, u)
    did, node = dev_id(u), emu.node(u)
    t0 = time.monotonic()
    node.send(sm(0x2000))
    await c.expect('button', button='eol', pressed=True)
    cmd = await c.expect('command', timeout=3)
    held = time.monotonic() - t0
    assert cmd == {'type': 'command', 'device_id': did, 'command': 'report.sign',
                   'button': 'eol', 'gesture': 'hold'}
    assert held >= 0.28, 'report.sign after %.3fs, before hold_ms' % held
    # still held: no repeat; the same report again changes nothing
    node.send(sm(0x2000))
    await c.nothing(400, type_='command')
    node.send(sm(0))
    await c.expect('button', button='eol', pressed=False)
    await c.nothing(200, type_='command')
    await c.close()


@pytest.mark.parametrize('factory,serial,down,up,button,command', [
    (E.speechmike, 'HOLDF2', sm(0x0004), sm(0), 'f2', 'report.sign_prelim'),
    (E.speechmike, 'HOLDF4', sm(0x0010), sm(0), 'f4', 'report.discard'),
    (E.powermic4, 'HOLDPM4', sm(0x8000), sm(0), 'enter', 'report.sign'),
    (E.powermic3, 'HOLDPM3', bytes.fromhex('000002'), b'\0\0\0', 'custom_right',
     'report.discard'),
], ids=['sm-f2', 'sm-f4', 'pm4-enter', 'pm3-custom_right'])
async def test_destructive_commands_on_hold_only(spawn, emu, factory, serial, down, up,
                                                 button, command):
    u = factory(serial=serial)
    d, c = await start(spawn, u)
    did, node = dev_id(u), emu.node(u)
    # short press: nothing
    node.send(down)
    await c.expect('button', button=button, pressed=True)
    await asyncio.sleep(0.05)
    node.send(up)
    await c.expect('button', button=button, pressed=False)
    await c.nothing(400, type_='command')
    # held: exactly one, gesture hold
    t0 = time.monotonic()
    node.send(down)
    cmd = await c.expect('command')
    assert time.monotonic() - t0 >= 0.28
    assert cmd == {'type': 'command', 'device_id': did, 'command': command,
                   'button': button, 'gesture': 'hold'}
    await c.nothing(350, type_='command')
    node.send(up)
    await c.expect('button', button=button, pressed=False)
    await c.nothing(100, type_='command')
    await c.close()


async def foot_eol_hold(c, node, seconds):
    node.send(b'\x08')
    await c.expect('button', button='eol', pressed=True)
    await asyncio.sleep(seconds)
    node.send(b'\0')
    await c.expect('button', button='eol', pressed=False)


async def test_foot_control_eol_hold_does_not_sign_by_default(spawn, emu):
    """A foot resting on the end-of-letter pedal: held far past hold_ms, nothing fires
    (the default keymap binds no sign, prelim sign or discard to a foot control or pedal);
    nor on the VEC pedal's pedals."""
    fc, vec = E.foot_control(serial='FOOTREST'), E.vec_pedal()
    d, c = await start(spawn, fc, vec, identified=False)
    await foot_eol_hold(c, emu.node(fc), 1.0)    # hold_ms is 300
    await c.nothing(300, type_='command')
    for word in (b'\x01\x00', b'\x04\x00'):   # pedal_left, pedal_right held
        emu.node(vec).send(word)
        cmd = await c.expect('command')
        assert cmd['gesture'] == 'press' and cmd['command'].startswith('field.'), cmd
        await asyncio.sleep(0.6)
        emu.node(vec).send(b'\0\0')
        await c.nothing(200, type_='command')
    await c.close()


async def test_foot_control_eol_sign_when_a_site_binds_it(spawn, emu):
    """The control of the test above: a site that binds report.sign to the pedal's hold
    gets it, with the hold guard (a short press does nothing)."""
    cfg = dict(TEST_CONFIG, keymap={'foot_control': {'buttons': {'eol': {'hold': 'report.sign'}}}})
    fc = E.foot_control(serial='FOOTSIGN')
    d, c = await start(spawn, fc, config=cfg, identified=False)
    node = emu.node(fc)
    await foot_eol_hold(c, node, 0.05)
    await c.nothing(400, type_='command')
    node.send(b'\x08')
    cmd = await c.expect('command')
    assert cmd == {'type': 'command', 'device_id': dev_id(fc), 'command': 'report.sign',
                   'button': 'eol', 'gesture': 'hold'}, cmd
    node.send(b'\0')
    await c.nothing(200, type_='command')
    await c.close()


async def test_push_to_talk_release_tail(spawn, emu):
    """Releasing a push-to-talk pedal keeps recording for release_delay_ms; a press
    within that tail continues the same recording (no stop, no new start)."""
    cfg = dict(TEST_CONFIG, release_delay_ms=500)
    fc = E.foot_control(serial='PTTTAIL')
    d, c = await start(spawn, fc, config=cfg, identified=False)
    did, node = dev_id(fc), emu.node(fc)

    node.send(b'\x02')
    cmd = await c.expect('command')
    assert (cmd['command'], cmd['gesture']) == ('record.start', 'press'), cmd
    t0 = time.monotonic()
    node.send(b'\0')
    await c.expect('button', button='play', pressed=False)
    cmd = await c.expect('command', timeout=3)
    tail = time.monotonic() - t0
    assert cmd == {'type': 'command', 'device_id': did, 'command': 'record.stop',
                   'button': 'play', 'gesture': 'release'}, cmd
    assert 0.45 <= tail < 1.5, 'record.stop %.3fs after the release' % tail

    # pressed again within the tail: one recording
    node.send(b'\x02')
    await c.expect('command', command='record.start')
    node.send(b'\0')
    await c.expect('button', button='play', pressed=False)
    await asyncio.sleep(0.2)
    node.send(b'\x02')
    await c.expect('button', button='play', pressed=True)
    await c.nothing(800, type_='command')
    node.send(b'\0')
    cmd = await c.expect('command', timeout=3)
    assert (cmd['command'], cmd['gesture']) == ('record.stop', 'release'), cmd
    await c.nothing(300, type_='command')
    await c.close()


async def test_push_to_talk_without_tail(spawn, emu):
    cfg = dict(TEST_CONFIG, release_delay_ms=0)
    fc = E.foot_control(serial='PTTNOTAIL')
    d, c = await start(spawn, fc, config=cfg, identified=False)
    node = emu.node(fc)
    node.send(b'\x02')
    await c.expect('command', command='record.start')
    t0 = time.monotonic()
    node.send(b'\0')
    await c.expect('command', command='record.stop', gesture='release')
    assert time.monotonic() - t0 < 0.3
    await c.close()


async def test_two_holds_each_fire_once(spawn, emu):
    u = E.speechmike(serial='HOLD2')
    d, c = await start(spawn, u)
    node = emu.node(u)
    node.send(sm(0x2000))                 # eol
    await c.expect('button', button='eol', pressed=True)
    await asyncio.sleep(0.15)
    node.send(sm(0x2004))                 # + f2, 150 ms later
    first = await c.expect('command')
    second = await c.expect('command')
    assert [(x['command'], x['button']) for x in (first, second)] == [
        ('report.sign', 'eol'), ('report.sign_prelim', 'f2')], (first, second)
    await c.nothing(400, type_='command')
    node.send(sm(0))
    await c.nothing(150, type_='command')
    await c.close()


async def test_push_to_talk(spawn, emu):
    cfg = dict(TEST_CONFIG, keymap={'speechmike': {'record_mode': 'push_to_talk'}})
    u = E.speechmike(serial='PTT0001')
    d, c = await start(spawn, u, config=cfg)
    did, node = dev_id(u), emu.node(u)
    node.send(sm(0x0100))
    cmd = await c.expect('command')
    assert cmd == {'type': 'command', 'device_id': did, 'command': 'record.start',
                   'button': 'record', 'gesture': 'press'}
    await c.nothing(100, type_='command')
    node.send(sm(0))
    cmd = await c.expect('command')
    assert cmd == {'type': 'command', 'device_id': did, 'command': 'record.stop',
                   'button': 'record', 'gesture': 'release'}
    await c.nothing(150, type_='command')
    await c.close()


async def test_commands_for_each_family_default_keymap(spawn, emu):
    pm4 = E.powermic4(serial='KPM4')
    pm3 = E.powermic3(serial='KPM3')
    fc = E.foot_control(serial='KFC')
    d, c = await start(spawn, pm4, pm3, fc, identified=False)
    cases = [(pm4, sm(0x0100), sm(0), 'record', ['record.toggle'], []),
             (pm4, sm(0x0800), sm(0), 'tab_forward', ['field.next'], []),
             (pm3, bytes.fromhex('000400'), b'\0\0\0', 'record', ['record.toggle'], []),
             (fc, b'\x02', b'\0', 'play', ['record.start'], ['record.stop'])]
    for unit, down, up, button, on_press, on_release in cases:
        n = emu.node(unit)
        n.send(down)
        for name in on_press:
            cmd = await c.expect('command')
            assert cmd == {'type': 'command', 'device_id': dev_id(unit), 'command': name,
                           'button': button, 'gesture': 'press'}, cmd
        await c.expect('button', device_id=dev_id(unit), button=button, pressed=True)
        n.send(up)
        await c.expect('button', device_id=dev_id(unit), button=button, pressed=False)
        for name in on_release:
            cmd = await c.expect('command')
            assert cmd == {'type': 'command', 'device_id': dev_id(unit), 'command': name,
                           'button': button, 'gesture': 'release'}, cmd
        await c.nothing(120, type_='command')
    await c.close()


# ---- 10. one failing device does not affect the others -------------------------------------


async def test_open_failure_isolated(spawn, emu):
    fc = E.foot_control(serial='FCOK')
    bad = E.speechmike(serial='BAD0001')
    bad.fail_open = True
    d, c = await start(spawn, fc)
    mark = d.log_mark()
    emu.plug(bad)
    d.wait_log(r'cannot open \S+hidraw\d+: not a working hidraw node', since=mark)
    await press_release(c, emu.node(fc), dev_id(fc), b'\x02', b'\0', ['play'])
    await c.nothing(200, type_='device.added')
    assert [x['id'] for x in d.status()['devices']] == [dev_id(fc)]
    assert emu.node(bad).outputs == []
    # a fixed unit plugged again is picked up
    emu.unplug(bad)
    bad.fail_open = False
    emu.plug(bad)
    added = await c.expect('device.added')
    assert added['device']['id'] == dev_id(bad)
    await press_release(c, emu.node(bad), dev_id(bad), sm(0x0002), sm(0), ['f1'])
    await c.close()


async def test_unplug_during_identification_isolated(spawn, emu):
    fc = E.foot_control(serial='FCOK2')
    d, c = await start(spawn, fc)
    silent = E.speechmike(serial='GONE0001', model='silent')
    emu.plug(silent)
    node = emu.node(silent)
    node.wait_output(lambda o: len(o) > 1 and o[1] == 0x83, timeout=3)
    emu.unplug(silent)
    # the other device keeps working meanwhile and after
    await press_release(c, emu.node(fc), dev_id(fc), b'\x01', b'\0', ['rewind'])
    # a two-collection unit pulled out while its vendor collection identifies, with a
    # gamepad button down: never announced, so nothing at all about it
    brw = E.speechmike_browser(serial='GONE0002', model='silent')
    emu.plug(brw)
    emu.node(brw, 4).wait_output(lambda o: len(o) > 1 and o[1] == 0x83, timeout=3)
    emu.node(brw, 5).send(b'\x20\x00')
    await asyncio.sleep(0.05)
    emu.unplug(brw)
    await asyncio.sleep(0.5)   # past both identification timeouts of the removed units
    gone = {dev_id(silent), dev_id(brw)}
    await c.nothing(100, pred=lambda m: m['type'].startswith('device.')
                    or m.get('device_id') in gone)
    assert [x['id'] for x in d.status()['devices']] == [dev_id(fc)]
    await press_release(c, emu.node(fc), dev_id(fc), b'\x04', b'\0', ['forward'])
    assert d.running()
    await c.close()


async def test_identification_does_not_delay_other_devices(spawn, emu):
    fc = E.foot_control(serial='FCFAST')
    # identification of a silent unit: 2 × 600 ms, far longer than the presses below
    d, c = await start(spawn, fc, config=dict(TEST_CONFIG, identify_timeout_ms=600))
    silent = E.speechmike(serial='SLOW0001', model='silent')
    emu.plug(silent)
    emu.node(silent).wait_output(lambda o: len(o) > 1 and o[1] == 0x83, timeout=3)
    await press_release(c, emu.node(fc), dev_id(fc), b'\x02', b'\0', ['play'])
    assert not any(m['type'] == 'device.added' for m in c.seen), c.seen
    added = await c.expect('device.added', timeout=3)
    assert added['device']['id'] == dev_id(silent)
    await c.close()


async def test_unplug_one_of_two_while_other_pressed(spawn, emu):
    a = E.speechmike(serial='TWO0001')
    b = E.speechmike(serial='TWO0002', model='SMP3710')
    d, c = await start(spawn, a, b)
    na, nb = emu.node(a), emu.node(b)
    na.send(sm(0x0002))
    m = await next_button(c)
    assert (m['device_id'], m['button'], m['pressed']) == (dev_id(a), 'f1', True)
    cmd = await c.expect('command')
    assert (cmd['device_id'], cmd['command']) == (dev_id(a), 'report.save'), cmd
    emu.unplug(b)
    msgs = await until_removed(c, dev_id(b))
    assert [m['type'] for m in msgs] == ['device.removed'], msgs
    na.send(sm(0))
    m = await next_button(c)
    assert (m['device_id'], m['button'], m['pressed']) == (dev_id(a), 'f1', False)
    await c.close()


async def test_hidraw_read_error_detaches_the_unit(spawn, emu):
    """The node fails (its device side goes away) without any udev event: the read error
    alone detaches the unit, held buttons are released, and the daemon serves on."""
    u = E.speechmike(serial='READERR1')
    d, c = await start(spawn, u)
    node = emu.node(u)
    node.send(sm(0x0400))                     # play held
    await c.expect('button', button='play', pressed=True)
    with emu._lock:
        emu._nodes_by_fd.pop(node.fd, None)
    node.gone = True
    os.close(node.fd)                         # the daemon's reads now fail
    await c.expect('button', button='play', pressed=False, timeout=5)
    await c.expect('device.removed', device_id=dev_id(u), timeout=5)
    d.wait_log(r'read failed|gone')
    await c.ping()
    assert d.status()['devices'] == []
