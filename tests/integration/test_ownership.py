"""Who gets what, against the real daemon: exactly one client (the command owner, sticky)
or none receives each `command`, every client receives `button`, and the units' LEDs show
the owner's `state` (exact output report bytes) across ownership changes."""

import asyncio

import emu as E
from client import Client

REC_DOWN, EOL_DOWN, UP = E.sm_report(0x0100), E.sm_report(0x2000), E.sm_report(0)
RED, GREEN, OFF = E.sm_leds(0x0C), E.sm_leds(0x03), E.sm_leds()


def sm_id(unit):
    return '%04x-%04x-%s' % (unit.vid, unit.pid, unit.serial)


async def press(node, clients, dev, owner):
    """Presses and releases record: every client gets both button messages, the owner
    (None: nobody) exactly one record.toggle, the others none."""
    node.send(REC_DOWN)
    for c in clients:
        await c.expect('button', device_id=dev, button='record', pressed=True)
    if owner:
        m = await owner.expect('command', device_id=dev)
        assert (m['command'], m['button'], m['gesture']) == ('record.toggle', 'record',
                                                             'press'), m
    node.send(UP)
    for c in clients:
        await c.expect('button', device_id=dev, button='record', pressed=False)
    for c in clients:
        await c.nothing(150 if c is not owner else 0, type_='command')


async def eol_hold(node, clients, dev, owner):
    """Holds EOL past hold_ms: every client sees the button, exactly one report.sign goes
    to `owner` and none to anybody else."""
    node.send(EOL_DOWN)
    for c in clients:
        await c.expect('button', device_id=dev, button='eol', pressed=True)
    m = await owner.expect('command', device_id=dev, timeout=3)
    assert m == {'type': 'command', 'device_id': dev, 'command': 'report.sign',
                 'button': 'eol', 'gesture': 'hold'}, m
    await asyncio.sleep(0.2)
    node.send(UP)
    for c in clients:
        await c.expect('button', device_id=dev, button='eol', pressed=False)
        await c.nothing(150, type_='command')


async def synced(c):
    """The daemon has handled everything c sent before (answers come in order)."""
    await c.send({'type': 'ping', 'id': 'sync'})
    await c.expect('pong', id='sync')


async def test_commands_go_to_exactly_one_owner_or_none(spawn, emu):
    sm = E.speechmike(serial='OWN0001')
    d = spawn(sm)
    node, dev = emu.node(sm), sm_id(sm)
    a = await Client.connect(d.port, name='A')
    b = await Client.connect(d.port, name='B')
    mon = await Client.connect(d.port, name='monitor')      # never claims
    everyone = [a, b, mon]

    await press(node, everyone, dev, None)                   # nobody claims: nobody

    await a.claim()
    await b.nothing(100, type_='claim')
    await press(node, everyone, dev, a)

    await b.claim()
    assert (await a.expect('claim'))['owner'] is False
    await press(node, everyone, dev, b)

    await b.send({'type': 'release'})
    assert (await b.expect('claim'))['owner'] is False
    assert (await a.expect('claim'))['owner'] is True
    await press(node, everyone, dev, a)

    await a.send({'type': 'release'})
    assert (await a.expect('claim'))['owner'] is False
    await b.nothing(100, type_='claim')
    await press(node, everyone, dev, None)                   # nobody claims again

    # a claim twice is one entry; the owner claiming again is told it still owns
    await a.claim()
    await b.claim()
    await b.claim()
    assert (await a.expect('claim'))['owner'] is False
    await a.nothing(100, type_='claim')
    await press(node, everyone, dev, b)
    # releasing without owning changes nothing for the owner
    await mon.send({'type': 'release'})
    assert (await mon.expect('claim'))['owner'] is False
    await b.nothing(100, type_='claim')
    await press(node, everyone, dev, b)
    # the owner gone, the earlier claimant still connected inherits
    await b.close()
    assert (await a.expect('claim'))['owner'] is True
    await press(node, [a, mon], dev, a)
    await a.close()
    await press(node, [mon], dev, None)
    assert not [m for m in mon.seen if m['type'] in ('command', 'claim') and
                m.get('owner') is not False], mon.seen
    await mon.close()


async def test_one_hold_signs_once_and_the_earlier_claimant_inherits(spawn, emu):
    """Two host pages: A opened first, then B; the radiologist works in another window
    (neither page focused, so neither claims again). One EOL hold signs exactly once, in
    B; B closes and A's next hold signs in A only. The monitor gets every button."""
    sm = E.speechmike(serial='OWN0002')
    d = spawn(sm)
    node, dev = emu.node(sm), sm_id(sm)
    mon = await Client.connect(d.port, name='monitor')
    a = await Client.connect(d.port, name='A')
    await a.claim()
    b = await Client.connect(d.port, name='B')
    await b.claim()
    assert (await a.expect('claim'))['owner'] is False
    await eol_hold(node, [a, b, mon], dev, b)
    await b.close()
    assert (await a.expect('claim'))['owner'] is True
    await eol_hold(node, [a, mon], dev, a)
    # the last claimant gone: the hold signs nowhere, the button still reaches the monitor
    await a.close()
    node.send(EOL_DOWN)
    await mon.expect('button', device_id=dev, button='eol', pressed=True)
    await mon.nothing(600, type_='command')
    node.send(UP)
    await mon.expect('button', device_id=dev, button='eol', pressed=False)
    await mon.close()


async def test_leds_follow_the_owner_state(spawn, emu):
    sm = E.speechmike(serial='OWN0003')
    d = spawn(sm)
    node, dev = emu.node(sm), sm_id(sm)
    assert await node.await_output(node.is_led_write) == OFF     # attach: all off
    a = await Client.connect(d.port, name='A')
    b = await Client.connect(d.port, name='B')

    async def no_led_write(sender, mark):
        await synced(sender)
        await asyncio.sleep(0.2)    # the writer thread and the emulator are asynchronous
        assert node.led_writes(mark) == [], [w.hex(' ') for w in node.led_writes(mark)]

    # no owner: a state changes nothing
    mark = node.mark()
    await a.send({'type': 'state', 'recording': True, 'report_open': True})
    await no_led_write(a, mark)
    # A claims: its state (kept from before) is shown at once
    mark = node.mark()
    await a.claim()
    assert await node.await_output(node.is_led_write, since=mark) == RED
    # B, not the owner, opens a report: nothing changes while A records
    mark = node.mark()
    await b.send({'type': 'state', 'recording': False, 'report_open': True})
    await no_led_write(b, mark)
    # B claims: its state at once
    mark = node.mark()
    await b.claim()
    assert (await a.expect('claim'))['owner'] is False
    assert await node.await_output(node.is_led_write, since=mark) == GREEN
    # A (no longer the owner) stops and starts recording: the LED stays B's
    mark = node.mark()
    await a.send({'type': 'state', 'recording': False, 'report_open': False})
    await a.send({'type': 'state', 'recording': True, 'report_open': True})
    await no_led_write(a, mark)
    # B records: the owner's state shows
    mark = node.mark()
    await b.send({'type': 'state', 'recording': True, 'report_open': True})
    assert await node.await_output(node.is_led_write, since=mark) == RED
    await b.send({'type': 'state', 'recording': False, 'report_open': True})
    assert await node.await_output(GREEN, since=mark) == GREEN
    # an explicit led request from anyone sets the LED until the owner's state is shown
    # again (its next state, or a change of owner)
    mark = node.mark()
    await a.send({'type': 'led', 'device_id': dev, 'led': 'record', 'color': 'red'})
    assert await node.await_output(node.is_led_write, since=mark) == RED
    mark = node.mark()
    await b.send({'type': 'state', 'recording': False, 'report_open': True})
    assert await node.await_output(node.is_led_write, since=mark) == GREEN
    # B gone: A inherits, and its last state (recording) shows at once
    mark = node.mark()
    await b.close()
    assert (await a.expect('claim'))['owner'] is True
    assert await node.await_output(node.is_led_write, since=mark) == RED
    # A releases: no owner, nothing recording
    mark = node.mark()
    await a.send({'type': 'release'})
    assert (await a.expect('claim'))['owner'] is False
    assert await node.await_output(node.is_led_write, since=mark) == OFF
    # the owner disconnecting while recording: no owner left, the LED goes off. A's last
    # state (recording) shows again as soon as it owns (the mark comes first: the write
    # may land before the claim answer is read)
    mark = node.mark()
    await a.claim()
    assert await node.await_output(node.is_led_write, since=mark) == RED
    mark = node.mark()
    await a.close()
    assert await node.await_output(node.is_led_write, since=mark) == OFF
