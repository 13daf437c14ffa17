"""The demo page with a virtual unit and no emulated hardware at all: the on-screen device's
buttons, pressed and held with the mouse in real headless Chromium, drive the keymap, the
relay and the reporting-iframe simulator; its LEDs follow the daemon's LED state."""

import time

from conftest import ARTIFACTS

MOCK = 'mock'
HOLD_S = 0.45   # the daemon's test configuration has hold_ms 300
UNIT = ".virtual-unit[data-device-id='virtual-speechmike-1']"


def button(name):
    return "%s button[data-button='%s']" % (UNIT, name)


def led(b, name):
    return b.eval('main', "document.querySelector(\"%s .led[data-led='%s']\").dataset.color"
                          % (UNIT, name))


def wait_led(b, name, color):
    b.wait('main', "document.querySelector(\"%s .led[data-led='%s']\").dataset.color === '%s'"
                   % (UNIT, name, color), what='the on-screen %s LED %s' % (name, color))


def mouse_press(b, name, hold):
    b.call('mousedown', page='main', selector=button(name))
    time.sleep(hold)
    b.call('mouseup', page='main')


def test_on_screen_virtual_unit_records_and_signs(spawn, browser):
    d = spawn(args=('--virtual-device', 'speechmike'), devices=1)
    browser.open('main', 'http://127.0.0.1:%d/demo/' % d.port)
    browser.wait('main', "document.querySelector('#conn').dataset.status === 'open'",
                 what='connected to the daemon')
    browser.wait('main', "!!document.querySelector(\"%s\")" % UNIT, what='the on-screen unit')
    browser.wait('main', "document.querySelector('#signin').dataset.state === 'signed_in'",
                 frame=MOCK, what='the iframe signed in')
    names = browser.eval('main', "[...document.querySelectorAll(\"%s button\")]"
                                 ".map(b => b.dataset.button)" % UNIT)
    assert {'record', 'eol', 'f1', 'instruction'} <= set(names), names
    assert led(browser, 'record') == 'off'

    # a report opens: the relay says so, the daemon lights the record LED green
    browser.call('click', page='main', selector='#open-btn')
    browser.wait('main', "document.querySelector('#report').dataset.state === 'open'",
                 frame=MOCK, what='the report open')
    wait_led(browser, 'record', 'green')

    # record clicked with the mouse: the iframe dictates, the LED turns red
    mouse_press(browser, 'record', 0.05)
    browser.wait('main', "document.querySelector('#recording').dataset.recording === 'true'",
                 frame=MOCK, what='the iframe recording')
    wait_led(browser, 'record', 'red')
    assert browser.eval('main', "!!document.querySelector('#log li[data-command=\"record.toggle\"]')")

    # a short EOL click never signs
    mouse_press(browser, 'eol', 0.05)
    time.sleep(0.6)
    assert browser.eval('main', "document.querySelector('#status').textContent", frame=MOCK) != 'signed'
    assert browser.eval('main', "document.querySelector(\"%s\").dataset.down" % button('eol')) == 'false'

    # EOL held down with the mouse past hold_ms: signed while still held
    browser.call('mousedown', page='main', selector=button('eol'))
    assert browser.eval('main', "document.querySelector(\"%s\").dataset.down" % button('eol')) == 'true'
    browser.wait('main', "document.querySelector('#status').textContent === 'signed'",
                 frame=MOCK, timeout=3, what='signed during the hold')
    browser.call('mouseup', page='main')
    assert browser.eval('main', "document.querySelector('#recording').dataset.recording",
                        frame=MOCK) == 'false'
    wait_led(browser, 'record', 'off')
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.call('screenshot', page='main', path=str(ARTIFACTS / 'demo-virtual.png'))
    # the daemon saw exactly one sign, on a hold
    log = browser.eval('main', "[...document.querySelectorAll('#log li.command')].map(l => l.textContent)")
    signs = [line for line in log if 'report.sign ' in line]
    assert len(signs) == 1 and 'hold' in signs[0], log


def test_on_screen_leds_follow_led_requests(spawn, browser):
    d = spawn(args=('--virtual-device', 'speechmike:3710'), devices=1)
    browser.open('main', 'http://127.0.0.1:%d/demo/' % d.port)
    browser.wait('main', "!!document.querySelector(\"%s\")" % UNIT, what='the on-screen unit')
    browser.eval('main', "window.demo.client.setLed('virtual-speechmike-1', 'f3', 'green', 'blink_fast')")
    wait_led(browser, 'f3', 'green')
    assert browser.eval('main', "document.querySelector(\"%s .led[data-led='f3']\").dataset.mode"
                                % UNIT) == 'blink_fast'
    # the slide switch of a slider model
    positions = browser.eval('main', "[...document.querySelectorAll(\"%s .slider input\")]"
                                     ".map(i => i.value)" % UNIT)
    assert positions == ['record', 'stop', 'play', 'rewind'], positions
    browser.call('click', page='main', selector="%s .slider input[value='play']" % UNIT)
    browser.wait('main', "[...document.querySelectorAll('#log li')].some(l => "
                         "l.textContent.includes('slider play'))", what='slider play logged')
