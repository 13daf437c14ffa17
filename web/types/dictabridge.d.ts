export declare const SUBPROTOCOL = "dictabridge.v1";
export declare const DEFAULT_URL = "ws://127.0.0.1:27415/";
/** The server → client message types that become events of the same name. */
export declare const MESSAGE_TYPES: readonly string[];
/**
 * The server → client message types of microphone streaming, also events of the same name.
 * `device.changed` belongs here: so far only a device's `audio` changes while it stays
 * connected.
 */
export declare const AUDIO_MESSAGE_TYPES: readonly string[];
export type Device = {
    id: string;
    family: string;
    model: string;
    model_code: number;
    vendor_id: number;
    product_id: number;
    serial: string | null;
    buttons: string[];
    slider: string[];
    leds: string[];
    led_colors: string[];
    led_modes: string[];
    /**
     * The microphone `audio.start` captures from; null when
     * the unit has none, and then `audio.start` is refused (`unsupported`).
     */
    audio: DeviceAudio | null;
    /**
     * A SpeechMike's event mode (`hid`, `browser`, ...).
     */
    event_mode?: string | null;
    /**
     * Why the unit will not work as expected, with the fix.
     */
    warning?: string | null;
    /**
     * A virtual unit (no hardware): `press` and `slide` drive it.
     */
    virtual?: boolean;
    /**
     * A virtual unit's LEDs, kept current from
     * `leds` messages.
     */
    led_state?: Record<string, LedValue>;
};
export type LedValue = {
    /**
     * 'off', 'red' or 'green'
     */
    color: string;
    /**
     * 'on', 'blink_slow' or 'blink_fast'
     */
    mode: string;
};
export type DeviceAudio = {
    source: 'paired' | 'config' | 'default';
    /**
     * ALSA card number (`paired` only)
     */
    card: number | null;
    name: string;
};
export type Message = {
    type: string;
    [field: string]: unknown;
};
export type ConnectionStatus = 'connecting' | 'open' | 'not_running' | 'refused' | 'closed';
export type ButtonName = 'record' | 'stop' | 'play' | 'rewind' | 'forward' | 'eol' | 'ins_ovr' | 'instruction' | 'f1' | 'f2' | 'f3' | 'f4' | 'command' | 'transcribe' | 'tab_forward' | 'tab_backward' | 'enter' | 'custom_left' | 'custom_right' | 'trigger' | 'scan_end' | 'scan_success' | 'pedal_left' | 'pedal_middle' | 'pedal_right';
export type CommandName = 'record.toggle' | 'record.start' | 'record.stop' | 'report.process' | 'report.sign' | 'report.sign_prelim' | 'report.save' | 'report.discard' | 'report.close' | 'field.next' | 'field.previous';
export type Gesture = 'press' | 'release' | 'hold' | 'slider' | 'unplug';
export type ButtonMessage = {
    type: 'button';
    device_id: string;
    button: ButtonName;
    pressed: boolean;
    /**
     * wall-clock time of the report, Unix epoch milliseconds
     */
    time_ms: number;
};
export type CommandMessage = {
    type: 'command';
    device_id: string;
    command: CommandName;
    button: ButtonName | null;
    gesture: Gesture;
};
export type SliderMessage = {
    type: 'slider';
    device_id: string;
    position: ButtonName | null;
    time_ms: number;
};
export type DictabridgeEventMap = {
    connection: CustomEvent<ConnectionDetail>;
    button: CustomEvent<ButtonMessage>;
    command: CustomEvent<CommandMessage>;
    slider: CustomEvent<SliderMessage>;
    hello: CustomEvent<Message>;
    'device.added': CustomEvent<Message>;
    'device.removed': CustomEvent<Message>;
    'device.changed': CustomEvent<Message>;
    motion: CustomEvent<Message>;
    claim: CustomEvent<Message>;
    error: CustomEvent<Message>;
    pong: CustomEvent<Message>;
    'audio.started': CustomEvent<Message>;
    'audio.level': CustomEvent<Message>;
    'audio.overrun': CustomEvent<Message>;
    'audio.stopped': CustomEvent<Message>;
};
export type ConnectionDetail = {
    status: ConnectionStatus;
    /**
     * A sentence the page can show.
     */
    reason: string;
};
export type Backoff = {
    minMs: number;
    maxMs: number;
};
export type Timers = {
    setTimeout: (fn: () => void, ms: number) => unknown;
    clearTimeout: (handle: any) => void;
};
export type AudioFrame = {
    streamId: number;
    sequence: number;
    sampleCount: number;
    /**
     * Capture time in microseconds (exact below 2^53).
     */
    captureTimeUs: number;
    /**
     * In [-1, 1).
     */
    samples: Float32Array;
};
export type AudioFrameInfo = {
    deviceId: string;
    streamId: number;
    sequence: number;
    captureTimeUs: number;
};
export type AudioSubscriber = (samples: Float32Array, info: AudioFrameInfo) => void;
export type AudioSubscription = {
    deviceId: string;
    rate: number;
    frameMs: number;
    onFrame: AudioSubscriber;
    /**
     * Set by the daemon's `audio.started` reply.
     */
    streamId: number | null;
};
export type ClientOptions = {
    /**
     * WebSocket URL; default ws://127.0.0.1:27415/.
     */
    url?: string;
    /**
     * Default: http://HOST:PORT/status of `url`.
     */
    statusUrl?: string;
    /**
     * Claim the commands when the page becomes visible and
     * focused, on every pointer or key press in it and when the focus moves into one of its
     * iframes (a click in the reporting iframe); never released on blur or when
     * hidden, ownership stays until another page claims (default true; needs a document).
     */
    autoClaim?: boolean;
    /**
     * Default {minMs: 500, maxMs: 15000}.
     */
    backoff?: Backoff;
    /**
     * Default: the global WebSocket.
     */
    WebSocketImpl?: typeof WebSocket;
    /**
     * Default: the global fetch.
     */
    fetchImpl?: typeof fetch;
    /**
     * Default: the global document, when there is one.
     */
    document?: Document;
    /**
     * Default: the global setTimeout / clearTimeout.
     */
    timers?: Timers;
    /**
     * Jitter source in [0, 1); default Math.random.
     */
    random?: () => number;
};
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
export declare function statusUrlFor(url: string): string;
/**
 * Delay before reconnect attempt `attempt` (0 = first): the exponential step
 * min(maxMs, minMs · 2^attempt), of which a random half is taken off ("equal jitter") so
 * that pages reloaded together do not reconnect in lockstep.
 * @param {number} attempt
 * @param {Backoff} backoff
 * @param {() => number} random
 * @returns {number}
 */
export declare function backoffDelay(attempt: number, backoff: Backoff, random: () => number): number;
/**
 * Decodes one binary audio frame: a 24-byte little-endian header (ASCII `DBA1`, u32
 * stream_id, u32 sequence, u32 sample count, u64 capture time in µs) and that many signed
 * 16-bit little-endian samples, returned as floats in [-1, 1).
 * @param {ArrayBuffer} buffer
 * @returns {AudioFrame}
 * @throws {RangeError} when the magic or the length is wrong
 */
export declare function decodeAudioFrame(buffer: ArrayBuffer): AudioFrame;
/**
 * An EventTarget whose addEventListener / removeEventListener know the event type of each
 * event name in M (the overloads exist for the type checker and the .d.ts only).
 * @template {Record<string, Event>} M
 */
export declare class TypedEventTarget<M extends Record<string, Event>> extends EventTarget {
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
    addEventListener<K extends keyof M>(type: K, listener: (ev: M[K]) => void, options?: boolean | AddEventListenerOptions): void;
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
    addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
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
    removeEventListener<K extends keyof M>(type: K, listener: (ev: M[K]) => void, options?: boolean | EventListenerOptions): void;
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
    removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
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
export declare class DictabridgeClient extends TypedEventTarget<DictabridgeEventMap> {
    url: string;
    statusUrl: string;
    autoClaim: boolean;
    backoff: Backoff;
    /** @type {typeof WebSocket} */
    _WebSocket: typeof WebSocket;
    /** @type {typeof fetch} */
    _fetch: typeof fetch;
    /** @type {Document | undefined} */
    _document: Document | undefined;
    /** @type {Timers} */
    _timers: Timers;
    _random: () => number;
    /** @type {ConnectionStatus} */
    status: ConnectionStatus;
    /** A sentence describing `status`. */
    reason: string;
    /** @type {Map<string, Device>} Connected devices by id, as of the last hello. */
    devices: Map<string, Device>;
    /** Whether this client receives the `command` messages (from `claim` messages). */
    isOwner: boolean;
    /** @type {WebSocket | null} */
    _ws: WebSocket | null;
    _wanted: boolean;
    _opened: boolean;
    _attempt: number;
    _attemptId: number;
    /** @type {unknown} */
    _retryTimer: unknown;
    /** @type {{recording: boolean, report_open: boolean} | null} */
    _state: {
        recording: boolean;
        report_open: boolean;
    } | null;
    _ownedAtDrop: boolean;
    _nextPingId: number;
    /** @type {Map<unknown, {resolve: (m: Message) => void, reject: (e: Error) => void}>} */
    _pings: Map<unknown, {
        resolve: (m: Message) => void;
        reject: (e: Error) => void;
    }>;
    /** @type {Set<AudioSubscription>} */
    _audio: Set<AudioSubscription>;
    _onPageActive: () => void;
    _onInteraction: () => void;
    _onPageBlur: () => unknown;
    /** @param {ClientOptions} [options] */
    constructor(options?: ClientOptions);
    /** Opens the connection (and keeps reopening it after drops until close()). */
    connect(): void;
    /** Closes the connection for good (until connect() is called again). */
    close(): void;
    /**
     * Tells the daemon what the reporting app does (drives the record LED). Remembered and
     * sent again after every reconnect.
     * @param {{recording: boolean, report_open: boolean}} state
     * @returns {boolean} whether it was sent now
     */
    setState({ recording, report_open }: {
        recording: boolean;
        report_open: boolean;
    }): boolean;
    /**
     * @param {string} deviceId
     * @param {string} led
     * @param {string} color 'red', 'green' or 'off'
     * @param {string} [mode] 'on', 'blink_slow' or 'blink_fast'
     * @returns {boolean} whether it was sent
     */
    setLed(deviceId: string, led: string, color: string, mode?: string): boolean;
    /**
     * Presses (or releases) a button of a virtual unit; the daemon refuses real units.
     * @param {string} deviceId
     * @param {string} button
     * @param {boolean} pressed
     * @param {number} [holdMs] with pressed: the daemon releases the button after this long
     * @returns {boolean} whether it was sent
     */
    press(deviceId: string, button: string, pressed: boolean, holdMs?: number): boolean;
    /**
     * Moves a virtual unit's slide switch.
     * @param {string} deviceId
     * @param {string} position
     * @returns {boolean} whether it was sent
     */
    slide(deviceId: string, position: string): boolean;
    /**
     * Asks for the `command` messages: this client owns them until another client claims
     * (then the `claim` event says `owner: false`). @returns {boolean} whether it was sent
     */
    claim(): boolean;
    /**
     * Gives the `command` messages back (the previous claimant still connected gets them).
     * @returns {boolean} whether it was sent
     */
    release(): boolean;
    /**
     * Sends a ping; the promise resolves with the matching pong and rejects when the
     * connection is not open or drops first.
     * @param {number | string} [id] default: a counter
     * @returns {Promise<Message>}
     */
    ping(id?: number | string): Promise<Message>;
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
    subscribeAudio(deviceId: string, { rate, frameMs }: {
        rate?: number;
        frameMs?: number;
    }, onFrame: AudioSubscriber): () => void;
    _open(): void;
    _handleOpen(): void;
    /** @param {number} code */
    _handleClose(code: number): void;
    /**
     * An upgrade that failed says nothing about why. A no-cors fetch of /status does: it
     * resolves (with an opaque response) whenever something answered, even a 403 for a
     * foreign origin, and fails with a network error only when nothing listens.
     */
    _classifyFailure(): void;
    _scheduleRetry(): void;
    /** Forgets what belonged to the connection that ended. @param {string} why */
    _dropped(why: string): void;
    /** @param {ConnectionStatus} status @param {string} reason */
    _setStatus(status: ConnectionStatus, reason: string): void;
    /** @param {Record<string, unknown>} message @returns {boolean} */
    _send(message: Record<string, unknown>): boolean;
    /** @param {unknown} data */
    _handleMessage(data: unknown): void;
    /** Updates the client's own state from a message, before the page hears of it. @param {Message} m */
    _apply(m: Message): void;
    /** @param {ArrayBuffer} buffer */
    _handleAudio(buffer: ArrayBuffer): void;
    /** @param {AudioSubscription} sub */
    _startAudio(sub: AudioSubscription): void;
    /** @param {boolean} on */
    _listenToPage(on: boolean): void;
    /** Claims when the page is visible and focused. Losing either releases nothing. */
    _claimIfActive(): void;
    /** Claims when the focus went into an iframe of the page (a click in the report). */
    _claimIfFrameFocused(): void;
    _claimIfNotOwner(): void;
}
