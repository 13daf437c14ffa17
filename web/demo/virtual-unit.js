// A virtual unit (dictabridged --virtual-device) drawn as an on-screen device: its buttons
// are pressed with the mouse (held for as long as the mouse button is down) or the keyboard,
// its slide switch moved with radio buttons, and its LEDs lit from the daemon's LED state
// (`led_state`, then `leds` messages): what a real unit would show.

/**
 * @param {import('../dictabridge.js').DictabridgeClient} client
 * @param {import('../dictabridge.js').Device} device
 * @returns {HTMLElement}
 */
export function createVirtualUnit(client, device) {
  const box = document.createElement('div');
  box.className = 'virtual-unit';
  box.dataset.deviceId = device.id;
  box.setAttribute('role', 'group');
  box.setAttribute('aria-label', `${device.model} (virtual)`);

  const leds = document.createElement('div');
  leds.className = 'leds';
  for (const name of device.leds) {
    const led = document.createElement('span');
    led.className = 'led';
    led.dataset.led = name;
    led.textContent = name;
    leds.appendChild(led);
  }
  box.appendChild(leds);

  const pad = document.createElement('div');
  pad.className = 'buttons';
  for (const name of device.buttons) pad.appendChild(pressable(client, device.id, name));
  box.appendChild(pad);

  if (device.slider.length) {
    const slider = document.createElement('fieldset');
    slider.className = 'slider';
    slider.innerHTML = '<legend>slide switch</legend>';
    for (const pos of device.slider) {
      const label = document.createElement('label');
      const radio = document.createElement('input');
      radio.type = 'radio';
      radio.name = `slider-${device.id}`;
      radio.value = pos;
      radio.addEventListener('change', () => client.slide(device.id, pos));
      label.append(radio, ` ${pos}`);
      slider.appendChild(label);
    }
    box.appendChild(slider);
  }
  showLeds(box, device.led_state);
  return box;
}

/** One button: down on mouse/touch/key down, up when it is let go, whatever happens. */
function pressable(client, deviceId, name) {
  const btn = document.createElement('button');
  btn.type = 'button';
  btn.dataset.button = name;
  btn.dataset.down = 'false';
  btn.textContent = name;
  const down = () => {
    if (btn.dataset.down === 'true') return;
    btn.dataset.down = 'true';
    client.press(deviceId, name, true);
  };
  const up = () => {
    if (btn.dataset.down !== 'true') return;
    btn.dataset.down = 'false';
    client.press(deviceId, name, false);
  };
  btn.addEventListener('pointerdown', (e) => {
    if (e.button !== 0) return;
    btn.setPointerCapture(e.pointerId);   // the release arrives even off the button
    down();
  });
  btn.addEventListener('pointerup', up);
  btn.addEventListener('pointercancel', up);
  btn.addEventListener('lostpointercapture', up);
  btn.addEventListener('keydown', (e) => {
    if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) {
      e.preventDefault();
      down();
    }
  });
  btn.addEventListener('keyup', (e) => {
    if (e.key === ' ' || e.key === 'Enter') up();
  });
  btn.addEventListener('blur', up);
  return btn;
}

/**
 * Lights the on-screen LEDs from a LED state ({record: {color, mode}, ...}).
 * @param {HTMLElement} box
 * @param {Record<string, {color: string, mode: string}> | undefined} state
 */
export function showLeds(box, state) {
  for (const led of box.querySelectorAll('.led')) {
    const el = /** @type {HTMLElement} */ (led);
    const v = state?.[el.dataset.led ?? ''];
    el.dataset.color = v?.color ?? 'off';
    el.dataset.mode = v?.mode ?? 'on';
    el.title = `${el.dataset.led}: ${el.dataset.color}${v && v.color !== 'off' ? ', ' + v.mode : ''}`;
  }
}
