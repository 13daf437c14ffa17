// dictabridge browser client: one WebSocket to dictabridged on the loopback address, kept
// open across drops, with typed events per protocol message (protocol/PROTOCOL.md).
// Dependency-free ES module; every browser API is injectable so node can test it.

export const SUBPROTOCOL = 'dictabridge.v1';
// The port mirrors PM_DEFAULT_PORT of protocol/message.h, the daemon's default.
export const DEFAULT_URL = 'ws://127.0.0.1:27415/';

/** The server → client message types that become events of the same name. */
export const MESSAGE_TYPES = Object.freeze([
  'hello', 'device.added', 'device.removed', 'button', 'command', 'slider', 'motion',
  'claim', 'error', 'pong', 'leds',
]);

/**
 * The server → client message types of microphone streaming, also events of the same name.
 * `device.changed` belongs here: so far only a device's `audio` changes while it stays
 * connected.
 */
export const AUDIO_MESSAGE_TYPES = Object.freeze([
  'device.changed', 'audio.started', 'audio.level', 'audio.overrun', 'audio.stopped',
]);

/** Close codes the daemon uses, with the reason shown to the page. */
const CLOSE_REASONS = /** @type {Record<number, string>} */ ({
  1001: 'the daemon is shutting down',
  1007: 'the daemon rejected a message that was not valid UTF-8',
  1009: 'the daemon rejected a message over 65,536 bytes',
});

const AUDIO_MAGIC = 'DBA1';
const AUDIO_HEADER_BYTES = 24;

/**
 * @typedef {object} Device The device object of the protocol.
 * @property {string} id
 * @property {string} family
 * @property {string} model
 * @property {number} model_code
 * @property {number} vendor_id
 * @property {number} product_id
 * @property {string | null} serial
 * @property {string[]} buttons
 * @property {string[]} slider
 * @property {string[]} leds
 * @property {string[]} led_colors
 * @property {string[]} led_modes
 * @property {DeviceAudio | null} audio The microphone `audio.start` captures from; null when
 *   the unit has none, and then `audio.start` is refused (`unsupported`).
 * @property {string | null} [event_mode] A SpeechMike's event mode (`hid`, `browser`, ...).
 * @property {string | null} [warning] Why the unit will not work as expected, with the fix.
 * @property {boolean} [virtual] A virtual unit (no hardware): `press` and `slide` drive it.
 * @property {Record<string, LedValue>} [led_state] A virtual unit's LEDs, kept current from
 *   `leds` messages.
 */

/**
 * @typedef {object} LedValue
 * @property {string} color 'off', 'red' or 'green'
 * @property {string} mode 'on', 'blink_slow' or 'blink_fast'
 */

/**
 * @typedef {object} DeviceAudio The `audio` field of a device.
 * @property {'paired' | 'config' | 'default'} source
 * @property {number | null} card ALSA card number (`paired` only)
 * @property {string} name
 */

/**
 * @typedef {{type: string, [field: string]: unknown}} Message A parsed protocol message.
 */

/**
 * @typedef {'connecting' | 'open' | 'not_running' | 'refused' | 'closed'} ConnectionStatus
 */

/**
 * A button name of the protocol (PROTOCOL.md "Buttons per family").
 * @typedef {'record' | 'stop' | 'play' | 'rewind' | 'forward' | 'eol' | 'ins_ovr' | 'instruction' | 'f1' | 'f2' | 'f3' | 'f4' | 'command' | 'transcribe' | 'tab_forward' | 'tab_backward' | 'enter' | 'custom_left' | 'custom_right' | 'trigger' | 'scan_end' | 'scan_success' | 'pedal_left' | 'pedal_middle' | 'pedal_right'} ButtonName
 */

/**
 * A command the keymap produces (PROTOCOL.md `command`).
 * @typedef {'record.toggle' | 'record.start' | 'record.stop' | 'report.process' | 'report.sign' | 'report.sign_prelim' | 'report.save' | 'report.discard' | 'report.close' | 'field.next' | 'field.previous'} CommandName
 */

/** @typedef {'press' | 'release' | 'hold' | 'slider' | 'unplug'} Gesture */

/**
 * @typedef {object} ButtonMessage Detail of the 'button' event.
 * @property {'button'} type
 * @property {string} device_id
 * @property {ButtonName} button
 * @property {boolean} pressed
 * @property {number} time_ms wall-clock time of the report, Unix epoch milliseconds
 */

/**
 * @typedef {object} CommandMessage Detail of the 'command' event.
 * @property {'command'} type
 * @property {string} device_id
 * @property {CommandName} command
 * @property {ButtonName | null} button
 * @property {Gesture} gesture
 */

/**
 * @typedef {object} SliderMessage Detail of the 'slider' event.
 * @property {'slider'} type
 * @property {string} device_id
 * @property {ButtonName | null} position
 * @property {number} time_ms
 */

/**
 * The client's events: name → event type, for addEventListener / removeEventListener.
 * The message types without a detail type of their own carry the parsed message.
 * @typedef {{connection: CustomEvent<ConnectionDetail>, button: CustomEvent<ButtonMessage>, command: CustomEvent<CommandMessage>, slider: CustomEvent<SliderMessage>, hello: CustomEvent<Message>, 'device.added': CustomEvent<Message>, 'device.removed': CustomEvent<Message>, 'device.changed': CustomEvent<Message>, motion: CustomEvent<Message>, claim: CustomEvent<Message>, error: CustomEvent<Message>, pong: CustomEvent<Message>, 'audio.started': CustomEvent<Message>, 'audio.level': CustomEvent<Message>, 'audio.overrun': CustomEvent<Message>, 'audio.stopped': CustomEvent<Message>}} DictabridgeEventMap
 */

/**
 * @typedef {object} ConnectionDetail Detail of the 'connection' event.
 * @property {ConnectionStatus} status
 * @property {string} reason A sentence the page can show.
 */

/**
 * @typedef {object} Backoff Reconnect delays: doubling from minMs up to maxMs, with jitter.
 * @property {number} minMs
 * @property {number} maxMs
 */

/**
 * @typedef {object} Timers
 * @property {(fn: () => void, ms: number) => unknown} setTimeout
 * @property {(handle: any) => void} clearTimeout
 */

/**
 * @typedef {object} AudioFrame A decoded binary audio frame.
 * @property {number} streamId
 * @property {number} sequence
 * @property {number} sampleCount
 * @property {number} captureTimeUs Capture time in microseconds (exact below 2^53).
 * @property {Float32Array} samples In [-1, 1).
 */

/**
 * @typedef {object} AudioFrameInfo Second argument of an audio subscriber.
 * @property {string} deviceId
 * @property {number} streamId
 * @property {number} sequence
 * @property {number} captureTimeUs
 */

/** @typedef {(samples: Float32Array, info: AudioFrameInfo) => void} AudioSubscriber */

/**
 * @typedef {object} AudioSubscription
 * @property {string} deviceId
 * @property {number} rate
 * @property {number} frameMs
 * @property {AudioSubscriber} onFrame
 * @property {number | null} streamId Set by the daemon's `audio.started` reply.
 */

/**
 * @typedef {object} ClientOptions
 * @property {string} [url] WebSocket URL; default ws://127.0.0.1:27415/.
 * @property {string} [statusUrl] Default: http://HOST:PORT/status of `url`.
 * @property {boolean} [autoClaim] Claim the commands when the page becomes visible and
 *   focused, on every pointer or key press in it and when the focus moves into one of its
 *   iframes (a click in the reporting iframe); never released on blur or when
 *   hidden, ownership stays until another page claims (default true; needs a document).
 * @property {Backoff} [backoff] Default {minMs: 500, maxMs: 15000}.
 * @property {typeof WebSocket} [WebSocketImpl] Default: the global WebSocket.
 * @property {typeof fetch} [fetchImpl] Default: the global fetch.
 * @property {Document} [document] Default: the global document, when there is one.
 * @property {Timers} [timers] Default: the global setTimeout / clearTimeout.
 * @property {() => number} [random] Jitter source in [0, 1); default Math.random.
 */

/**
 * The status URL that belongs to a WebSocket URL: same host and port, http(s), /status.
 * @param {string} url
 * @returns {string}
 */
export function statusUrlFor(url) {
  const u = new URL(url);
  u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
  u.pathname = '/status';
  u.search = '';
  u.hash = '';
  return u.href;
}

/**
 * Delay before reconnect attempt `attempt` (0 = first): the exponential step
 * min(maxMs, minMs · 2^attempt), of which a random half is taken off ("equal jitter") so
 * that pages reloaded together do not reconnect in lockstep.
 * @param {number} attempt
 * @param {Backoff} backoff
 * @param {() => number} random
 * @returns {number}
 */
export function backoffDelay(attempt, backoff, random) {
  const step = Math.min(backoff.maxMs, backoff.minMs * 2 ** attempt);
  return step / 2 + random() * (step / 2);
}

/**
 * Decodes one binary audio frame: a 24-byte little-endian header (ASCII `DBA1`, u32
 * stream_id, u32 sequence, u32 sample count, u64 capture time in µs) and that many signed
 * 16-bit little-endian samples, returned as floats in [-1, 1).
 * @param {ArrayBuffer} buffer
 * @returns {AudioFrame}
 * @throws {RangeError} when the magic or the length is wrong
 */
export function decodeAudioFrame(buffer) {
  if (buffer.byteLength < AUDIO_HEADER_BYTES) {
    throw new RangeError(`audio frame of ${buffer.byteLength} bytes is shorter than its header`);
  }
  const view = new DataView(buffer);
  const magic = String.fromCharCode(view.getUint8(0), view.getUint8(1), view.getUint8(2),
                                    view.getUint8(3));
  if (magic !== AUDIO_MAGIC) throw new RangeError('not an audio frame (magic is not DBA1)');
  const sampleCount = view.getUint32(12, true);
  if (buffer.byteLength !== AUDIO_HEADER_BYTES + 2 * sampleCount) {
    throw new RangeError(`audio frame announces ${sampleCount} samples but holds ` +
                         `${buffer.byteLength - AUDIO_HEADER_BYTES} bytes of them`);
  }
  const samples = new Float32Array(sampleCount);
  for (let i = 0; i < sampleCount; i++) {
    samples[i] = view.getInt16(AUDIO_HEADER_BYTES + 2 * i, true) / 32768;
  }
  return {
    streamId: view.getUint32(4, true),
    sequence: view.getUint32(8, true),
    sampleCount,
    captureTimeUs: Number(view.getBigUint64(16, true)),
    samples,
  };
}

/**
 * An EventTarget whose addEventListener / removeEventListener know the event type of each
 * event name in M (the overloads exist for the type checker and the .d.ts only).
 * @template {Record<string, Event>} M
 */
export class TypedEventTarget extends EventTarget {
  /**
   * @template {keyof M} K
   * @overload
   * @param {K} type
   * @param {(ev: M[K]) => void} listener
   * @param {boolean | AddEventListenerOptions} [options]
   * @returns {void}
   */
  /**
   * @overload
   * @param {string} type
   * @param {EventListenerOrEventListenerObject | null} listener
   * @param {boolean | AddEventListenerOptions} [options]
   * @returns {void}
   */
  /**
   * @param {string} type
   * @param {any} listener
   * @param {boolean | AddEventListenerOptions} [options]
   */
  addEventListener(type, listener, options) {
    super.addEventListener(type, listener, options);
  }

  /**
   * @template {keyof M} K
   * @overload
   * @param {K} type
   * @param {(ev: M[K]) => void} listener
   * @param {boolean | EventListenerOptions} [options]
   * @returns {void}
   */
  /**
   * @overload
   * @param {string} type
   * @param {EventListenerOrEventListenerObject | null} listener
   * @param {boolean | EventListenerOptions} [options]
   * @returns {void}
   */
  /**
   * @param {string} type
   * @param {any} listener
   * @param {boolean | EventListenerOptions} [options]
   */
  removeEventListener(type, listener, options) {
    super.removeEventListener(type, listener, options);
  }
}

/**
 * A connection to dictabridged.
 *
 * Events (all CustomEvents):
 * - `connection`: detail {status, reason} whenever `status` or its reason changes;
 * - one event per server message type, named like it (`hello`, `device.added`,
 *   `device.removed`, `device.changed`, `button`, `command`, `slider`, `motion`, `claim`,
 *   `error`, `pong`, `audio.started`, `audio.level`, `audio.overrun`, `audio.stopped`),
 *   detail = the parsed message. Unknown message types are ignored.
 * @extends {TypedEventTarget<DictabridgeEventMap>}
 */
export class DictabridgeClient extends TypedEventTarget {
  /** @param {ClientOptions} [options] */
  constructor(options = {}) {
    super();
    this.url = options.url ?? DEFAULT_URL;
    this.statusUrl = options.statusUrl ?? statusUrlFor(this.url);
    this.autoClaim = options.autoClaim ?? true;
    this.backoff = options.backoff ?? { minMs: 500, maxMs: 15000 };
    /** @type {typeof WebSocket} */
    this._WebSocket = options.WebSocketImpl ?? globalThis.WebSocket;
    /** @type {typeof fetch} */
    this._fetch = options.fetchImpl ?? globalThis.fetch.bind(globalThis);
    /** @type {Document | undefined} */
    this._document = options.document ?? globalThis.document;
    /** @type {Timers} */
    this._timers = options.timers ?? {
      setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
      clearTimeout: (handle) => globalThis.clearTimeout(handle),
    };
    this._random = options.random ?? Math.random;

    /** @type {ConnectionStatus} */
    this.status = 'closed';
    /** A sentence describing `status`. */
    this.reason = 'not connected yet';
    /** @type {Map<string, Device>} Connected devices by id, as of the last hello. */
    this.devices = new Map();
    /** Whether this client receives the `command` messages (from `claim` messages). */
    this.isOwner = false;

    /** @type {WebSocket | null} */
    this._ws = null;
    this._wanted = false;      // connect() called and close() not since
    this._opened = false;      // the current socket reached 'open'
    this._attempt = 0;         // failed attempts since the last open
    this._attemptId = 0;       // counts sockets, to recognise a stale failure verdict
    /** @type {unknown} */
    this._retryTimer = null;
    /** @type {{recording: boolean, report_open: boolean} | null} */
    this._state = null;
    this._ownedAtDrop = false; // it owned the commands when the connection dropped
    this._nextPingId = 1;
    /** @type {Map<unknown, {resolve: (m: Message) => void, reject: (e: Error) => void}>} */
    this._pings = new Map();
    /** @type {Set<AudioSubscription>} */
    this._audio = new Set();
    this._onPageActive = () => this._claimIfActive();
    this._onInteraction = () => this._claimIfNotOwner();
    // The window blurs when focus moves into one of its iframes too; which one is known
    // only once the blur is over.
    this._onPageBlur = () => this._timers.setTimeout(() => this._claimIfFrameFocused(), 0);
  }

  /** Opens the connection (and keeps reopening it after drops until close()). */
  connect() {
    if (this._wanted) return;
    this._wanted = true;
    this._attempt = 0;
    this._listenToPage(true);
    this._open();
  }

  /** Closes the connection for good (until connect() is called again). */
  close() {
    if (!this._wanted) return;
    this._wanted = false;
    this._listenToPage(false);
    this._timers.clearTimeout(this._retryTimer);
    this._retryTimer = null;
    const ws = this._ws;
    this._ws = null;
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = ws.onerror = null;
      ws.close(1000);
    }
    this._dropped('closed by the page');
    this._ownedAtDrop = false;
    this._setStatus('closed', 'closed by the page');
  }

  /**
   * Tells the daemon what the reporting app does (drives the record LED). Remembered and
   * sent again after every reconnect.
   * @param {{recording: boolean, report_open: boolean}} state
   * @returns {boolean} whether it was sent now
   */
  setState({ recording, report_open }) {
    this._state = { recording: Boolean(recording), report_open: Boolean(report_open) };
    return this._send({ type: 'state', ...this._state });
  }

  /**
   * @param {string} deviceId
   * @param {string} led
   * @param {string} color 'red', 'green' or 'off'
   * @param {string} [mode] 'on', 'blink_slow' or 'blink_fast'
   * @returns {boolean} whether it was sent
   */
  setLed(deviceId, led, color, mode = 'on') {
    return this._send({ type: 'led', device_id: deviceId, led, color, mode });
  }

  /**
   * Presses (or releases) a button of a virtual unit; the daemon refuses real units.
   * @param {string} deviceId
   * @param {string} button
   * @param {boolean} pressed
   * @param {number} [holdMs] with pressed: the daemon releases the button after this long
   * @returns {boolean} whether it was sent
   */
  press(deviceId, button, pressed, holdMs) {
    return this._send({ type: 'press', device_id: deviceId, button, pressed,
                        ...(holdMs ? { hold_ms: holdMs } : {}) });
  }

  /**
   * Moves a virtual unit's slide switch.
   * @param {string} deviceId
   * @param {string} position
   * @returns {boolean} whether it was sent
   */
  slide(deviceId, position) {
    return this._send({ type: 'slide', device_id: deviceId, position });
  }

  /**
   * Asks for the `command` messages: this client owns them until another client claims
   * (then the `claim` event says `owner: false`). @returns {boolean} whether it was sent
   */
  claim() {
    return this._send({ type: 'claim' });
  }

  /**
   * Gives the `command` messages back (the previous claimant still connected gets them).
   * @returns {boolean} whether it was sent
   */
  release() {
    return this._send({ type: 'release' });
  }

  /**
   * Sends a ping; the promise resolves with the matching pong and rejects when the
   * connection is not open or drops first.
   * @param {number | string} [id] default: a counter
   * @returns {Promise<Message>}
   */
  ping(id = this._nextPingId++) {
    return new Promise((resolve, reject) => {
      if (this._pings.has(id)) {
        reject(new Error(`a ping with id ${String(id)} is already waiting`));
      } else if (this._send({ type: 'ping', id })) {
        this._pings.set(id, { resolve, reject });
      } else {
        reject(new Error('not connected to dictabridged'));
      }
    });
  }

  /**
   * Subscribes to a device's audio: sends `audio.start` {device_id, rate, frame_ms} and
   * hands every binary frame of the stream named by the `audio.started` reply to onFrame.
   * Subscriptions are renewed after a reconnect, and outlive an `audio.stopped` with reason
   * `device_removed` or `error`: the daemon restarts those streams by itself when the unit
   * comes back, and the new stream's frames reach onFrame too.
   *
   * The daemon keeps one stream per device and connection, so subscriptions to the same
   * device share it (at the format asked last); `audio.stop` goes out with the last of them.
   * Levels, overruns and the end of a stream arrive as the `audio.*` events. A refused
   * `audio.start` arrives as an `error` event (request `audio.start`), which names no device:
   * check the device's `audio` before subscribing.
   * @param {string} deviceId
   * @param {{rate?: number, frameMs?: number}} format default 16000 Hz, 20 ms frames
   * @param {AudioSubscriber} onFrame
   * @returns {() => void} unsubscribe: sends `audio.stop`
   */
  subscribeAudio(deviceId, { rate = 16000, frameMs = 20 }, onFrame) {
    /** @type {AudioSubscription} */
    const sub = { deviceId, rate, frameMs, onFrame, streamId: null };
    this._audio.add(sub);
    this._startAudio(sub);
    return () => {
      if (!this._audio.delete(sub)) return;
      for (const other of this._audio) if (other.deviceId === deviceId) return;
      this._send({ type: 'audio.stop', device_id: deviceId });
    };
  }

  // --- connection ---------------------------------------------------------------------

  _open() {
    this._retryTimer = null;
    // Retries keep the last verdict (not running, refused, reconnecting) on show.
    if (this.status === 'closed') this._setStatus('connecting', 'connecting to dictabridged');
    let ws;
    try {
      ws = new this._WebSocket(this.url, SUBPROTOCOL);
    } catch (e) {
      this._setStatus('refused', `the browser refused to open ${this.url}: ${String(e)}`);
      this._scheduleRetry();
      return;
    }
    ws.binaryType = 'arraybuffer';
    this._ws = ws;
    this._attemptId++;
    this._opened = false;
    ws.onopen = () => this._handleOpen();
    ws.onmessage = (ev) => this._handleMessage(ev.data);
    ws.onclose = (ev) => this._handleClose(ev.code);
  }

  _handleOpen() {
    this._opened = true;
    this._attempt = 0;
    this._setStatus('open', 'connected to dictabridged');
    if (this._state) this._send({ type: 'state', ...this._state });
    // The owner before a drop (a daemon restart) takes the commands back; other pages
    // wait for the radiologist to come to them.
    if (this._ownedAtDrop) this.claim();
    else this._claimIfActive();
    this._ownedAtDrop = false;
    for (const sub of this._audio) this._startAudio(sub);
  }

  /** @param {number} code */
  _handleClose(code) {
    const wasOpen = this._opened;
    this._ws = null;
    this._opened = false;
    const why = CLOSE_REASONS[code] ?? `code ${code}`;
    this._dropped(`the connection closed (${why})`);
    if (wasOpen) {
      this._setStatus('connecting', `the connection closed (${why}); reconnecting`);
      this._scheduleRetry();
    } else {
      this._classifyFailure();
    }
  }

  /**
   * An upgrade that failed says nothing about why. A no-cors fetch of /status does: it
   * resolves (with an opaque response) whenever something answered, even a 403 for a
   * foreign origin, and fails with a network error only when nothing listens.
   */
  _classifyFailure() {
    const attempt = this._attemptId;
    this._fetch(this.statusUrl, { mode: 'no-cors', cache: 'no-store' }).then(
      () => ['refused',
        'dictabridged is running but refused this page: its origin is not in the ' +
        "daemon's allowed_origins, or 32 pages are connected already (the daemon's log " +
        'names the reason)'],
      () => ['not_running',
        `dictabridged is not running (nothing answers at ${this.statusUrl}); start it ` +
        'with "systemctl --user start dictabridge"'],
    ).then(([status, reason]) => {
      // close() or a new connect() since: this verdict is stale.
      if (!this._wanted || attempt !== this._attemptId) return;
      this._setStatus(/** @type {ConnectionStatus} */ (status), reason);
      this._scheduleRetry();
    });
  }

  _scheduleRetry() {
    const ms = backoffDelay(this._attempt++, this.backoff, this._random);
    this._retryTimer = this._timers.setTimeout(() => this._open(), ms);
  }

  /** Forgets what belonged to the connection that ended. @param {string} why */
  _dropped(why) {
    this.devices.clear();
    this._ownedAtDrop = this.isOwner;
    this.isOwner = false;
    for (const sub of this._audio) sub.streamId = null;
    for (const { reject } of this._pings.values()) reject(new Error(why));
    this._pings.clear();
  }

  /** @param {ConnectionStatus} status @param {string} reason */
  _setStatus(status, reason) {
    if (status === this.status && reason === this.reason) return;
    this.status = status;
    this.reason = reason;
    this.dispatchEvent(new CustomEvent('connection', { detail: { status, reason } }));
  }

  /** @param {Record<string, unknown>} message @returns {boolean} */
  _send(message) {
    const ws = this._ws;
    if (!ws || !this._opened) return false;
    ws.send(JSON.stringify(message));
    return true;
  }

  // --- incoming -----------------------------------------------------------------------

  /** @param {unknown} data */
  _handleMessage(data) {
    if (data instanceof ArrayBuffer) {
      this._handleAudio(data);
      return;
    }
    if (typeof data !== 'string') return;
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!message || typeof message !== 'object' || typeof message.type !== 'string') return;
    this._apply(/** @type {Message} */ (message));
    if (MESSAGE_TYPES.includes(message.type) || AUDIO_MESSAGE_TYPES.includes(message.type)) {
      this.dispatchEvent(new CustomEvent(message.type, { detail: message }));
    }
  }

  /** Updates the client's own state from a message, before the page hears of it. @param {Message} m */
  _apply(m) {
    switch (m.type) {
    case 'hello':
      this.devices.clear();
      for (const d of /** @type {Device[]} */ (m.devices ?? [])) this.devices.set(d.id, d);
      break;
    case 'device.added': {
      const d = /** @type {Device} */ (m.device);
      this.devices.set(d.id, d);
      break;
    }
    case 'device.changed': {
      const d = /** @type {Device} */ (m.device);
      if (this.devices.has(d.id)) this.devices.set(d.id, d);
      break;
    }
    case 'device.removed':
      this.devices.delete(/** @type {string} */ (m.device_id));
      break;
    case 'leds': {
      const d = this.devices.get(/** @type {string} */ (m.device_id));
      if (d) d.led_state = /** @type {Record<string, LedValue>} */ (m.leds);
      break;
    }
    case 'claim':
      this.isOwner = m.owner === true;
      break;
    case 'pong': {
      const waiting = this._pings.get(m.id);
      if (waiting) {
        this._pings.delete(m.id);
        waiting.resolve(m);
      }
      break;
    }
    // One stream per device on this connection: a new one (a replacement, or the restart
    // after the unit came back) supersedes whatever the device's subscriptions had.
    case 'audio.started': {
      let wanted = false;
      for (const sub of this._audio) {
        if (sub.deviceId !== m.device_id) continue;
        sub.streamId = /** @type {number} */ (m.stream_id);
        wanted = true;
      }
      // Nobody here listens (an audio.stop crossed it, or the daemon restarted a stream
      // stopped while its unit was unplugged): a microphone must not stay open for nothing.
      if (!wanted) this._send({ type: 'audio.stop', device_id: m.device_id });
      break;
    }
    case 'audio.stopped':
      for (const sub of this._audio) {
        if (sub.deviceId === m.device_id) sub.streamId = null;
      }
      break;
    }
  }

  /** @param {ArrayBuffer} buffer */
  _handleAudio(buffer) {
    let frame;
    try {
      frame = decodeAudioFrame(buffer);
    } catch {
      return;
    }
    for (const sub of this._audio) {
      if (sub.streamId === frame.streamId) {
        sub.onFrame(frame.samples, {
          deviceId: sub.deviceId, streamId: frame.streamId, sequence: frame.sequence,
          captureTimeUs: frame.captureTimeUs,
        });
      }
    }
  }

  /** @param {AudioSubscription} sub */
  _startAudio(sub) {
    this._send({ type: 'audio.start', device_id: sub.deviceId, rate: sub.rate,
                 frame_ms: sub.frameMs });
  }

  // --- auto-claim ---------------------------------------------------------------------

  /** @param {boolean} on */
  _listenToPage(on) {
    const doc = this._document;
    if (!this.autoClaim || !doc) return;
    const win = doc.defaultView;
    const method = on ? 'addEventListener' : 'removeEventListener';
    doc[method]('visibilitychange', this._onPageActive);
    win?.[method]('focus', this._onPageActive);
    // Capture: the page's own handlers cannot hide the radiologist's press from it.
    doc[method]('pointerdown', this._onInteraction, true);
    doc[method]('keydown', this._onInteraction, true);
    // A press inside a cross-origin iframe (the reporting app) never reaches this
    // document; its only trace here is the window's blur with the iframe focused.
    win?.[method]('blur', this._onPageBlur);
  }

  /** Claims when the page is visible and focused. Losing either releases nothing. */
  _claimIfActive() {
    const doc = this._document;
    if (doc && doc.visibilityState === 'visible' && doc.hasFocus()) this._claimIfNotOwner();
  }

  /** Claims when the focus went into an iframe of the page (a click in the report). */
  _claimIfFrameFocused() {
    const doc = this._document;
    if (doc && doc.visibilityState === 'visible' && doc.activeElement?.tagName === 'IFRAME') {
      this._claimIfNotOwner();
    }
  }

  _claimIfNotOwner() {
    if (this.autoClaim && this._document && this._opened && !this.isOwner) this.claim();
  }
}
