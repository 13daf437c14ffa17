"""The demo host page (web/demo/, served by dictabridged) in real headless Chromium, with the
real daemon and emulated devices: the page's DictabridgeClient and RADPAIR relay drive the
reporting-iframe simulator, and the record LED is checked byte for byte on the devices."""

import time

import pytest

import emu as E
from conftest import ARTIFACTS


@pytest.fixture(params=['chromium', 'firefox'])
def engine(request):
    """Every scenario in Chromium and in Firefox ESR."""
    return request.param

SM_RECORD, SM_EOL = 0x0100, 0x2000
LED_OFF, LED_GREEN, LED_RED = E.sm_leds(), E.sm_leds(0x03), E.sm_leds(0x0C)
HOLD_S = 0.45   # the daemon's test configuration has hold_ms 300

MOCK = 'mock'   # the reporting iframe (simulator)


def units():
    return E.speechmike(serial='E2ESM1'), E.powermic4(serial='E2EPM4')


def shot_path(name, engine):
    """Where a screenshot goes: NAME.png from Chromium, NAME-firefox.png from Firefox."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return str(ARTIFACTS / ('%s.png' % name if engine == 'chromium' else '%s-%s.png' % (name, engine)))


def demo_url(d):
    return 'http://127.0.0.1:%d/demo/' % d.port


def press(node, word, hold=0.05):
    node.send(E.sm_report(word))
    time.sleep(hold)
    node.send(E.sm_report(0))


def led_write(node, since, want, timeout=5.0):
    """Waits for the next LED write after `since` and checks it is exactly `want`."""
    got = node.wait_output(lambda o: node.is_led_write(o), since=since, timeout=timeout)
    assert got == want, 'LED report %s, expected %s' % (got.hex(' '), want.hex(' '))


def open_demo(b, d, page='main'):
    b.open(page, demo_url(d))
    b.wait(page, "document.querySelector('#conn').dataset.status === 'open'",
           what='connected to the daemon')
    b.wait(page, "document.querySelectorAll('#devices li[data-device-id]').length === 2",
           what='both devices listed')
    b.wait(page, "document.querySelector('#signin').dataset.state === 'signed_in'", frame=MOCK,
           what='the iframe signed in (app_ready → token → sign_in_successful)')
    assert b.eval(page, "document.querySelector('#banner').hidden") is True


def open_report(b, page, accessions, mrn='MRN-1001', site='MAIN'):
    b.call('fill', page=page, selector='#open-form [name=mrn]', value=mrn)
    b.call('fill', page=page, selector='#open-form [name=acc]', value=','.join(accessions))
    b.call('fill', page=page, selector='#open-form [name=site]', value=site)
    b.call('click', page=page, selector='#open-btn')
    b.wait(page, "(() => { const r = document.querySelector('#report');"
                 " return r.dataset.state === 'open' && r.dataset.accessions === %r })()"
           % ','.join(accessions), frame=MOCK, what='report %s open in the iframe' % accessions)


def demo_with_report(spawn, emu, browser, accessions, mrn='MRN-1001'):
    """The daemon with both units, the demo open on page 'main' and a report of accessions
    open in its iframe, the SpeechMike's LED green for it: (daemon, the SpeechMike's node)."""
    sm, pm = units()
    d = spawn(sm, pm)
    n = emu.node(sm)
    open_demo(browser, d)
    mn = n.mark()
    open_report(browser, 'main', accessions, mrn=mrn)
    led_write(n, mn, LED_GREEN)
    return d, n


def recording(b, page):
    return b.eval(page, "document.querySelector('#recording').dataset.recording", frame=MOCK)


def wait_recording(b, page, want, what):
    """Waits until the simulator in `page` is recording (want True) or is not."""
    b.wait(page, "document.querySelector('#recording').dataset.recording === '%s'"
           % ('true' if want else 'false'), frame=MOCK, what=what)


def mock_events(b, page, type_):
    return b.eval(page, "[...document.querySelectorAll('#log li[data-dir=out][data-type=\"%s\"]')]"
                        ".map(li => li.dataset.accession)" % type_, frame=MOCK)


OWNER = "document.querySelector('#owner').dataset.owner"


def state_count(b, page):
    return int(b.eval(page, "document.querySelector('#led-state').dataset.count"))


# ---- scenarios ---------------------------------------------------------------------------


def test_record_and_sign_drive_iframe_and_leds(spawn, emu, browser, engine):
    sm, pm = units()
    d = spawn(sm, pm)
    n, p = emu.node(sm), emu.node(pm)
    open_demo(browser, d)
    names = browser.eval('main', "[...document.querySelectorAll('#devices li .id')]"
                                 ".map(e => e.textContent).sort()")
    assert names == ['0554-0064-E2EPM4', '0911-0c1c-E2ESM1'], names
    label = browser.eval('main', "document.querySelector('#sim-label').textContent", frame=MOCK)
    assert 'simulator, not RADPAIR' in label, label
    # no --audio-device and no paired sound card: neither unit can be listened to
    assert browser.eval('main', "[...document.querySelectorAll('#audio li[data-device-id] .listen')]"
                                ".map(b => b.disabled)") == [True, True]

    # opening a report: the iframe says report.opened (draft) → the record LED is green
    mn, mp = n.mark(), p.mark()
    open_report(browser, 'main', ['ACC-5001'])
    assert browser.eval('main', "document.querySelector('#status').textContent", frame=MOCK) == 'draft'
    led_write(n, mn, LED_GREEN)
    led_write(p, mp, LED_GREEN)

    # Record on the SpeechMike: record.toggle → the iframe dictates, the LED turns red
    mn, mp = n.mark(), p.mark()
    press(n, SM_RECORD)
    wait_recording(browser, 'main', True, 'the iframe recording')
    led_write(n, mn, LED_RED)
    led_write(p, mp, LED_RED)
    assert browser.eval('main', "!!document.querySelector('#log li[data-command=\"record.toggle\"]')")
    assert browser.eval('main', "document.querySelector('#led-state').dataset.led") == 'red'
    shot = browser.call('screenshot', page='main', path=shot_path('demo', engine))
    print('\nscreenshot of the demo page: %s' % shot)

    # a short EOL press does not sign
    press(n, SM_EOL, hold=0.05)
    time.sleep(0.6)
    assert mock_events(browser, 'main', 'report.signed') == []
    assert recording(browser, 'main') == 'true'

    # a long EOL press signs: report.signed → recording over, report finished → LED off
    mn, mp = n.mark(), p.mark()
    press(n, SM_EOL, hold=HOLD_S)
    browser.wait('main', "document.querySelector('#status').textContent === 'signed'",
                 frame=MOCK, what='the report signed in the iframe')
    sign = browser.eval('main', "document.querySelector('#log li[data-dir=out][data-type=\"report.signed\"]')"
                                ".textContent", frame=MOCK)
    assert '"sign_type":"sign"' in sign and '"accession_number":"ACC-5001"' in sign, sign
    assert recording(browser, 'main') == 'false'
    led_write(n, mn, LED_OFF)
    led_write(p, mp, LED_OFF)
    time.sleep(0.5)
    assert n.led_writes(mn) == [LED_OFF], n.outputs[mn:]


def test_linked_group_signs_once(spawn, emu, browser):
    group = ['ACC-7001', 'ACC-7002', 'ACC-7003']
    _, n = demo_with_report(spawn, emu, browser, group, mrn='MRN-2002')
    assert browser.eval('main', "document.querySelectorAll('#linked li').length", frame=MOCK) == 3

    mn, before = n.mark(), state_count(browser, 'main')
    press(n, SM_EOL, hold=HOLD_S)
    browser.wait('main', "document.querySelectorAll('#log li[data-dir=out][data-type=\"report.signed\"]')"
                         ".length === 3", frame=MOCK, what='three report.signed')
    assert mock_events(browser, 'main', 'report.signed') == group
    led_write(n, mn, LED_OFF)
    time.sleep(0.6)
    assert n.led_writes(mn) == [LED_OFF], [o.hex(' ') for o in n.outputs[mn:]]
    assert state_count(browser, 'main') == before + 1, 'one state for the whole group'
    assert browser.eval('main', "document.querySelector('#led-state').dataset.led") == 'off'


def test_the_tab_that_claimed_last_acts(spawn, emu, browser):
    sm, pm = units()
    d = spawn(sm, pm)
    n = emu.node(sm)
    open_demo(browser, d, 'a')
    open_report(browser, 'a', ['ACC-A'])
    open_demo(browser, d, 'b')          # opened last: in front, focused
    open_report(browser, 'b', ['ACC-B'])
    browser.wait('b', OWNER + " === 'true'", what='tab b owns the commands')
    browser.wait('a', OWNER + " === 'false'", what='tab a does not')

    press(n, SM_RECORD)
    wait_recording(browser, 'b', True, 'tab b recording')
    time.sleep(0.5)
    assert recording(browser, 'a') == 'false'
    assert browser.eval('a', "document.querySelectorAll('#log li[data-command]').length") == 0

    # tab a comes to the front: it claims, tab b loses the commands and its relay stops
    # the recording there; the LED shows tab a's state (its report open) at once
    mn = n.mark()
    browser.call('front', page='a')
    browser.wait('a', OWNER + " === 'true'", what='tab a owns the commands')
    browser.wait('b', OWNER + " === 'false'", what='tab b no longer')
    wait_recording(browser, 'b', False, 'tab b stopped recording when it lost the commands')
    led_write(n, mn, LED_GREEN)
    mn = n.mark()
    press(n, SM_RECORD)
    wait_recording(browser, 'a', True, 'tab a recording')
    time.sleep(0.5)
    assert recording(browser, 'b') == 'false'
    # the press went to tab a only (tab b's one command is the first press)
    assert browser.eval('b', "document.querySelectorAll('#log li[data-command]').length") == 1
    led_write(n, mn, LED_RED)


def test_two_tabs_neither_focused_one_hold_signs_once(spawn, emu, browser):
    """Two host tabs with a report open each while the radiologist works in another window
    (the PACS viewer: neither tab has the focus). One EOL hold signs exactly one report,
    in the tab that claimed last, and the record LED shows that tab's state whatever the
    other sends; when that tab closes, the other inherits the commands and the LED."""
    sm, pm = units()
    d = spawn(sm, pm)
    n = emu.node(sm)
    open_demo(browser, d, 'a')
    open_report(browser, 'a', ['ACC-A'])
    open_demo(browser, d, 'b')
    open_report(browser, 'b', ['ACC-B'])
    browser.wait('b', OWNER + " === 'true'", what='tab b owns the commands')
    browser.wait('a', OWNER + " === 'false'", what='tab a does not')
    mn = n.mark()
    press(n, SM_RECORD)
    wait_recording(browser, 'b', True, 'tab b recording')
    led_write(n, mn, LED_RED)

    # another window takes the focus: neither tab has it, tab b keeps the commands
    browser.open('pacs', 'http://127.0.0.1:%d/status' % d.port)
    browser.wait('a', '!document.hasFocus()', what='tab a unfocused')
    browser.wait('b', '!document.hasFocus()', what='tab b unfocused')
    time.sleep(0.3)
    assert browser.eval('b', OWNER) == 'true'
    # tab a's app says nothing is open: not the owner, so the LED stays tab b's red
    mn = n.mark()
    browser.eval('a', 'window.demo.client.setState({recording: false, report_open: false})')
    time.sleep(0.6)
    assert n.led_writes(mn) == [], [o.hex(' ') for o in n.led_writes(mn)]
    browser.eval('a', 'window.demo.client.setState({recording: false, report_open: true})')

    # one EOL hold: tab b's report signed, tab a's untouched; the LED shows tab b's state
    mn = n.mark()
    press(n, SM_EOL, hold=HOLD_S)
    browser.wait('b', "document.querySelector('#status').textContent === 'signed'",
                 frame=MOCK, what="tab b's report signed")
    time.sleep(0.6)
    assert mock_events(browser, 'b', 'report.signed') == ['ACC-B']
    assert mock_events(browser, 'a', 'report.signed') == []
    assert browser.eval('a', "document.querySelectorAll('#log li[data-command]').length") == 0
    led_write(n, mn, LED_OFF)
    assert n.led_writes(mn) == [LED_OFF], [o.hex(' ') for o in n.led_writes(mn)]

    # tab b closes: tab a (claimed before it) inherits, its open report shows green at once
    mn = n.mark()
    browser.call('close', page='b')
    browser.wait('a', OWNER + " === 'true'", what='tab a inherits the commands')
    led_write(n, mn, LED_GREEN)
    mn = n.mark()
    press(n, SM_EOL, hold=HOLD_S)
    browser.wait('a', "document.querySelector('#status').textContent === 'signed'",
                 frame=MOCK, what="tab a's report signed")
    time.sleep(0.6)
    assert mock_events(browser, 'a', 'report.signed') == ['ACC-A']
    led_write(n, mn, LED_OFF)


def test_a_click_into_the_reporting_iframe_claims(spawn, emu, browser):
    """Tab a has the focus but not the commands (tab b claimed after it); the radiologist
    clicks into tab a's report. A press inside the iframe never reaches the host page,
    and its window, focused already, gets no focus event: only its blur into the iframe
    tells. Tab a takes the commands, and the next EOL hold signs its report."""
    sm, pm = units()
    d = spawn(sm, pm)
    n = emu.node(sm)
    open_demo(browser, d, 'a')
    open_report(browser, 'a', ['ACC-A'])
    open_demo(browser, d, 'b')
    open_report(browser, 'b', ['ACC-B'])
    browser.call('front', page='a')
    browser.wait('a', 'document.hasFocus() && ' + OWNER + " === 'true'",
                 what='tab a focused and owning')
    browser.eval('b', 'window.demo.client.claim()')
    browser.wait('a', OWNER + " === 'false'", what='tab b took the commands')
    browser.wait('a', "document.hasFocus() && document.activeElement.tagName !== 'IFRAME'",
                 what='tab a still focused, its iframe not')
    browser.call('click', page='a', frame=MOCK, selector='#status')
    browser.wait('a', OWNER + " === 'true'", what='tab a owns the commands after the click')
    browser.wait('b', OWNER + " === 'false'", what='tab b no longer does')
    press(n, SM_EOL, hold=HOLD_S)
    browser.wait('a', "document.querySelector('#status').textContent === 'signed'",
                 frame=MOCK, what="tab a's report signed")
    time.sleep(0.6)
    assert mock_events(browser, 'a', 'report.signed') == ['ACC-A']
    assert mock_events(browser, 'b', 'report.signed') == []


def test_daemon_restart_page_reconnects(spawn, emu, browser, engine):
    d, n = demo_with_report(spawn, emu, browser, ['ACC-R1'])

    d.stop()
    browser.wait('main', "!document.querySelector('#banner').hidden && "
                         "document.querySelector('#banner').dataset.kind === 'not_running'",
                 timeout=10, what='the not-running banner')
    assert 'dictabridged is not running' in browser.eval(
        'main', "document.querySelector('#banner').textContent")
    assert browser.eval('main', "document.querySelectorAll('#devices li[data-device-id]').length") == 0
    browser.call('screenshot', page='main', path=shot_path('demo-not-running', engine))

    mn = n.mark()
    d.start()
    browser.wait('main', "document.querySelector('#banner').hidden && "
                         "document.querySelector('#conn').dataset.status === 'open'",
                 timeout=25, what='reconnected, banner gone')
    browser.wait('main', "document.querySelectorAll('#devices li[data-device-id]').length === 2",
                 what='devices back')
    # the new daemon starts with the LEDs off; the page sends its state again: green
    n.wait_output(LED_GREEN, since=mn, timeout=5)
    assert n.led_writes(mn)[-1] == LED_GREEN, [o.hex(' ') for o in n.led_writes(mn)]
    # and the commands reach the page again
    press(n, SM_RECORD)
    wait_recording(browser, 'main', True, 'recording after the restart')


def test_foreign_origin_refused(spawn, emu, browser, engine, foreign_server):
    sm, pm = units()
    d = spawn(sm, pm)
    url = '%s/demo/?port=%d' % (foreign_server, d.port)
    mark = d.log_mark()
    browser.open('main', url)
    browser.wait('main', "!document.querySelector('#banner').hidden && "
                         "document.querySelector('#banner').dataset.kind === 'refused'",
                 timeout=10, what='the refusal banner')
    text = browser.eval('main', "document.querySelector('#banner').textContent")
    assert "refused this page's origin (%s)" % foreign_server in text, text
    d.wait_log(r'refused a connection: Origin not allowed', since=mark)
    assert browser.eval('main', "document.querySelectorAll('#devices li[data-device-id]').length") == 0
    browser.call('screenshot', page='main', path=shot_path('demo-refused', engine))


def test_foreign_origin_allowed_when_configured(spawn, emu, browser, foreign_server):
    """The control of the test above: the same page, its origin allowed, connects."""
    sm, pm = units()
    d = spawn(sm, pm, args=['--allow-origin', foreign_server])
    browser.open('main', '%s/demo/?port=%d' % (foreign_server, d.port))
    browser.wait('main', "document.querySelector('#conn').dataset.status === 'open'",
                 timeout=10, what='connected')
    browser.wait('main', "document.querySelectorAll('#devices li[data-device-id]').length === 2")
    assert browser.eval('main', "document.querySelector('#banner').hidden") is True


def test_recall_reopens_the_report(spawn, emu, browser):
    """Report recall in the simulator: report.signed, then the radiologist recalls it inside
    the iframe (report.opened, status draft): the LED is green again and dictation works."""
    _, n = demo_with_report(spawn, emu, browser, ['ACC-9001'])
    browser.call('click', page='main', frame=MOCK, selector='#chk-recall')
    mn = n.mark()
    press(n, SM_EOL, hold=HOLD_S)
    browser.wait('main', "document.querySelector('#status').textContent === 'signed'",
                 frame=MOCK, what='signed')
    led_write(n, mn, LED_OFF)
    mn = n.mark()
    browser.call('click', page='main', frame=MOCK, selector='#btn-recall')
    browser.wait('main', "document.querySelector('#status').textContent === 'draft'",
                 frame=MOCK, what='recalled to draft')
    led_write(n, mn, LED_GREEN)
    assert mock_events(browser, 'main', 'report.opened') == ['ACC-9001', 'ACC-9001']
    # the tab still owns the commands with the focus inside its iframe
    mn = n.mark()
    press(n, SM_RECORD)
    wait_recording(browser, 'main', True, 'recording after the recall')
    led_write(n, mn, LED_RED)


SM_F1, SM_F2, SM_F3, SM_F4, SM_INS_OVR = 0x0002, 0x0004, 0x0008, 0x0010, 0x4000


def test_other_commands_reach_the_simulator(spawn, emu, browser):
    """The default keymap's other report commands, each through the relay's default
    message to the simulator and back as the documented event."""
    _, n = demo_with_report(spawn, emu, browser, ['ACC-3001'])

    def handled(msg, count=1):
        browser.wait('main', "document.querySelectorAll('#log li[data-dir=in][data-type=\"%s\"]')"
                             ".length === %d" % (msg, count), frame=MOCK, what='%s handled' % msg)

    press(n, SM_INS_OVR)                      # report.process
    handled('process_report')
    press(n, SM_F1)                           # report.save → report.saved
    handled('save_report')
    assert mock_events(browser, 'main', 'report.saved') == ['ACC-3001']
    press(n, SM_F2, hold=HOLD_S)              # report.sign_prelim (hold)
    browser.wait('main', "document.querySelector('#status').textContent === 'prelim_signed'",
                 frame=MOCK, what='prelim signed')
    sign = browser.eval('main', "document.querySelector('#log li[data-dir=out][data-type=\"report.signed\"]')"
                                ".textContent", frame=MOCK)
    assert '"sign_type":"sign_prelim"' in sign and '"report_status":"prelim_signed"' in sign, sign
    mn = n.mark()
    press(n, SM_F3)                           # report.close → report.closed: LED off
    handled('close_report')
    assert mock_events(browser, 'main', 'report.closed') == ['ACC-3001']
    led_write(n, mn, LED_OFF)

    mn = n.mark()
    open_report(browser, 'main', ['ACC-3002'])
    led_write(n, mn, LED_GREEN)
    mn = n.mark()
    press(n, SM_F4, hold=HOLD_S)              # report.discard (hold) → discarded_completely
    handled('discard_report')
    assert mock_events(browser, 'main', 'report.discarded_completely') == ['ACC-3002']
    led_write(n, mn, LED_OFF)
    # with no report open, a command is refused by the relay with a notice, nothing posted
    press(n, SM_RECORD)
    browser.wait('main', "!!document.querySelector('#log li[data-kind=notice][data-command=\"record.toggle\"]')",
                 what='the relay notice')
    assert browser.eval('main', "document.querySelectorAll('#log li[data-dir=in][data-type=\"toggle_recording\"]').length",
                        frame=MOCK) == 0


def test_late_recall_signed_does_not_take_over(spawn, emu, browser):
    """Report recall: the first report is signed with a recall window, the radiologist opens
    the next case and dictates, and only then does the window elapse (report.signed again for
    the first report). The relay stays on the next report: the LED stays red, no state is
    sent, and the next record press still reaches the iframe."""
    _, n = demo_with_report(spawn, emu, browser, ['ACC-9101'])
    browser.call('click', page='main', frame=MOCK, selector='#chk-recall')
    browser.call('fill', page='main', frame=MOCK, selector='#in-recall-s', value='3')
    mn = n.mark()
    press(n, SM_EOL, hold=HOLD_S)
    browser.wait('main', "document.querySelector('#status').textContent === 'signed'",
                 frame=MOCK, what='signed')
    led_write(n, mn, LED_OFF)

    mn = n.mark()
    open_report(browser, 'main', ['ACC-9102'], mrn='MRN-1002')
    led_write(n, mn, LED_GREEN)
    mn = n.mark()
    press(n, SM_RECORD)
    wait_recording(browser, 'main', True, 'dictating into the next report')
    led_write(n, mn, LED_RED)
    assert mock_events(browser, 'main', 'report.signed') == ['ACC-9101'], \
        'the window must still be running (open the next report faster)'

    mn, before = n.mark(), state_count(browser, 'main')
    browser.wait('main', "document.querySelectorAll('#log li[data-dir=out][data-type=\"report.signed\"]')"
                         ".length === 2", frame=MOCK, timeout=10, what='the window elapsing')
    assert mock_events(browser, 'main', 'report.signed') == ['ACC-9101', 'ACC-9101']
    browser.wait('main', "document.querySelectorAll('#log li[data-kind=iframe]"
                         "[data-event=\"report.signed\"]').length === 2",
                 what='the relay received both report.signed')
    time.sleep(0.5)
    relay = browser.eval('main', "window.demo.relay.state")
    assert relay['report']['accessions'] == ['ACC-9102'] and relay['recording'] is True, relay
    assert relay['report']['status'] == 'draft', relay
    assert state_count(browser, 'main') == before, 'no state sent for the late event'
    assert n.led_writes(mn) == [], [o.hex(' ') for o in n.outputs[mn:]]
    assert recording(browser, 'main') == 'true'

    mn = n.mark()
    press(n, SM_RECORD)
    wait_recording(browser, 'main', False, 'the record press stopped the dictation')
    led_write(n, mn, LED_GREEN)
    assert browser.eval('main', "[...document.querySelectorAll('#log li[data-kind=notice]')]"
                                ".map(li => li.dataset.notice)") == ['led_follows_relay']


def test_foot_control_eol_hold_does_not_sign(spawn, emu, browser):
    """A foot resting on the foot control's end-of-letter pedal (held far past hold_ms)
    does not sign the open report; its play pedal dictates push-to-talk, and the release
    tail keeps recording briefly. The SpeechMike's EOL hold, the control, still signs."""
    sm, fc = E.speechmike(serial='E2ESM2'), E.foot_control(serial='E2EFC1')
    d = spawn(sm, fc)
    n, f = emu.node(sm), emu.node(fc)
    open_demo(browser, d)
    mn = n.mark()
    open_report(browser, 'main', ['ACC-6001'])
    led_write(n, mn, LED_GREEN)

    mn = n.mark()
    f.send(b'\x08')          # eol pedal down ...
    time.sleep(1.2)          # ... resting there, 4 x hold_ms
    f.send(b'\0')
    time.sleep(0.5)
    assert mock_events(browser, 'main', 'report.signed') == []
    assert browser.eval('main', "document.querySelector('#status').textContent", frame=MOCK) == 'draft'
    assert browser.eval('main', "document.querySelectorAll('#log li[data-command]').length") == 0
    assert n.led_writes(mn) == [], [o.hex(' ') for o in n.outputs[mn:]]

    # push-to-talk on the play pedal: recording while held, and for the tail after
    mn = n.mark()
    f.send(b'\x02')
    wait_recording(browser, 'main', True, 'dictating while the pedal is down')
    led_write(n, mn, LED_RED)
    mn = n.mark()
    f.send(b'\0')
    released = time.monotonic()
    wait_recording(browser, 'main', False, 'dictation stopped after the tail')
    assert time.monotonic() - released >= 0.25, 'stopped before release_delay_ms'
    led_write(n, mn, LED_GREEN)

    mn = n.mark()
    press(n, SM_EOL, hold=HOLD_S)
    browser.wait('main', "document.querySelector('#status').textContent === 'signed'",
                 frame=MOCK, what='the SpeechMike hold signs')
    led_write(n, mn, LED_OFF)
