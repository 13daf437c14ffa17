import { TypedEventTarget } from './dictabridge.js';
export type Timers = import('./dictabridge.js').Timers;
export type RelayAction = 'authenticate' | 'open_report' | 'record_start' | 'record_stop' | 'record_toggle' | 'process' | 'sign' | 'sign_prelim' | 'save' | 'discard' | 'close' | 'field_next' | 'field_previous';
export type OpenReportRequest = {
    mrn: string;
    site_id: string;
    accession_number?: string;
    accession_numbers?: string[];
    metadata?: Record<string, unknown>;
    metadata_by_accession?: Record<string, Record<string, unknown>>;
};
export type MessageSpec = object | ((args: any) => object) | null;
export type MessageTable = Partial<Record<RelayAction, MessageSpec>>;
export type IframeEventKey = 'app_ready' | 'sign_in_successful' | 'not_authenticated' | 'opened' | 'closed' | 'saved' | 'discarded' | 'signed' | 'recording_started' | 'recording_stopped';
export type ReportState = {
    site_id: string | null;
    mrn: string | null;
    /**
     * every accession number of the (linked) report
     */
    accessions: string[];
    /**
     * RADPAIR's report status: unread, draft, prelim_signed, signed, …
     */
    status: string;
};
export type RelayState = {
    signedIn: boolean;
    /**
     * the current report: the one the iframe opened last
     */
    report: ReportState | null;
    /**
     * as far as the relay knows (see createRadpairRelay)
     */
    recording: boolean;
};
export type NoticeKind = 'refused' | 'unknown_command' | 'no_message' | 'no_iframe' | 'token' | 'sign_in_timeout' | 'no_reaction' | 'led_follows_relay' | 'hid';
export type IframeEvent = {
    name: string;
    fields: Record<string, any>;
};
export type RelayEventMap = {
    state: CustomEvent<RelayState>;
    notice: CustomEvent<Notice>;
    iframe: CustomEvent<IframeEvent>;
};
export type Notice = {
    kind: NoticeKind;
    /**
     * the dictabridge command, when one caused it
     */
    command: string | null;
    /**
     * a sentence the page can show
     */
    reason: string;
};
export type Bridge = {
    setState: (state: {
        recording: boolean;
        report_open: boolean;
    }) => unknown;
    addEventListener: EventTarget['addEventListener'];
    removeEventListener: EventTarget['removeEventListener'];
};
export type RelayOptions = {
    /**
     * the reporting iframe
     */
    iframe: HTMLIFrameElement;
    /**
     * its origin, e.g. 'https://app.radpair.com'
     */
    iframeOrigin: string;
    /**
     * a DictabridgeClient
     */
    bridge: Bridge;
    /**
     * overrides of DEFAULT_MESSAGES
     */
    messages?: MessageTable;
    /**
     * overrides of DEFAULT_EVENTS
     */
    events?: Partial<Record<IframeEventKey, string>>;
    /**
     * the access token, asked for on every
     * `app_ready`
     */
    getToken: () => string | Promise<string>;
    /**
     * also raised as the 'notice' event
     */
    onNotice?: (notice: Notice) => void;
    /**
     * notice when no sign_in_successful follows the token
     * within this time (default 30000)
     */
    signInTimeoutMs?: number;
    /**
     * sign in again with a new token from getToken() this
     * long after posting one (default 23 h: access tokens expire after 24 h)
     */
    tokenRefreshMs?: number;
    /**
     * notice when a posted control message draws no
     * iframe event within this time (default 5000)
     */
    reactionTimeoutMs?: number;
    /**
     * Default: the global setTimeout / clearTimeout.
     */
    timers?: Timers;
};
/** @typedef {import('./dictabridge.js').Timers} Timers */
/**
 * @typedef {'authenticate' | 'open_report' | 'record_start' | 'record_stop' | 'record_toggle' | 'process' | 'sign' | 'sign_prelim' | 'save' | 'discard' | 'close' | 'field_next' | 'field_previous'} RelayAction
 */
/**
 * @typedef {object} OpenReportRequest What openReport() takes and the `open_report` entry
 *   receives: `accession_number` for one report, `accession_numbers` for a linked group.
 * @property {string} mrn
 * @property {string} site_id
 * @property {string} [accession_number]
 * @property {string[]} [accession_numbers]
 * @property {Record<string, unknown>} [metadata]
 * @property {Record<string, Record<string, unknown>>} [metadata_by_accession]
 */
/**
 * An entry of the message table: the object posted as is, a function building it from the
 * action's arguments ({token} for authenticate, the OpenReportRequest for open_report,
 * nothing for the others), or null when no message is known (the action then only raises
 * a notice).
 * @typedef {object | ((args: any) => object) | null} MessageSpec
 */
/** @typedef {Partial<Record<RelayAction, MessageSpec>>} MessageTable */
/**
 * @typedef {'app_ready' | 'sign_in_successful' | 'not_authenticated' | 'opened' | 'closed' | 'saved' | 'discarded' | 'signed' | 'recording_started' | 'recording_stopped'} IframeEventKey
 */
/**
 * A report as the relay knows it. A report is identified by site id + MRN + accession number
 * (MRN and accession number are unique only within a site); a linked group by all of its
 * accession numbers.
 * @typedef {object} ReportState
 * @property {string | null} site_id
 * @property {string | null} mrn
 * @property {string[]} accessions every accession number of the (linked) report
 * @property {string} status RADPAIR's report status: unread, draft, prelim_signed, signed, …
 */
/**
 * @typedef {object} RelayState
 * @property {boolean} signedIn
 * @property {ReportState | null} report the current report: the one the iframe opened last
 * @property {boolean} recording as far as the relay knows (see createRadpairRelay)
 */
/**
 * What a notice is about: `refused` (the report's state does not allow the command),
 * `unknown_command`, `no_message` (no table entry), `no_iframe`, `token` (getToken failed),
 * `sign_in_timeout` (no sign_in_successful in time), `no_reaction` (a posted message drew
 * no iframe event in time: its guessed name may be wrong), `led_follows_relay` (said once:
 * the iframe's recording events are not configured), `hid` (the iframe may drive the
 * dictation device itself through WebHID).
 * @typedef {'refused' | 'unknown_command' | 'no_message' | 'no_iframe' | 'token' | 'sign_in_timeout' | 'no_reaction' | 'led_follows_relay' | 'hid'} NoticeKind
 */
/**
 * @typedef {object} IframeEvent Detail of the 'iframe' event: an accepted iframe message.
 * @property {string} name
 * @property {Record<string, any>} fields
 */
/**
 * The relay's events: name → event type, for addEventListener / removeEventListener.
 * @typedef {{state: CustomEvent<RelayState>, notice: CustomEvent<Notice>, iframe: CustomEvent<IframeEvent>}} RelayEventMap
 */
/**
 * @typedef {object} Notice Detail of the 'notice' event: something the page should know,
 *   mostly something the relay did not do.
 * @property {NoticeKind} kind
 * @property {string | null} command the dictabridge command, when one caused it
 * @property {string} reason a sentence the page can show
 */
/**
 * The part of a DictabridgeClient the relay uses.
 * @typedef {object} Bridge
 * @property {(state: {recording: boolean, report_open: boolean}) => unknown} setState
 * @property {EventTarget['addEventListener']} addEventListener
 * @property {EventTarget['removeEventListener']} removeEventListener
 */
/**
 * @typedef {object} RelayOptions
 * @property {HTMLIFrameElement} iframe the reporting iframe
 * @property {string} iframeOrigin its origin, e.g. 'https://app.radpair.com'
 * @property {Bridge} bridge a DictabridgeClient
 * @property {MessageTable} [messages] overrides of DEFAULT_MESSAGES
 * @property {Partial<Record<IframeEventKey, string>>} [events] overrides of DEFAULT_EVENTS
 * @property {() => string | Promise<string>} getToken the access token, asked for on every
 *   `app_ready`
 * @property {(notice: Notice) => void} [onNotice] also raised as the 'notice' event
 * @property {number} [signInTimeoutMs] notice when no sign_in_successful follows the token
 *   within this time (default 30000)
 * @property {number} [tokenRefreshMs] sign in again with a new token from getToken() this
 *   long after posting one (default 23 h: access tokens expire after 24 h)
 * @property {number} [reactionTimeoutMs] notice when a posted control message draws no
 *   iframe event within this time (default 5000)
 * @property {Timers} [timers] Default: the global setTimeout / clearTimeout.
 */
/**
 * Relay action → message posted to the iframe. Best-known guesses: the vendor's command
 * names are not public. Override entries with the `messages` option.
 * @type {Readonly<Record<RelayAction, MessageSpec>>}
 */
export declare const DEFAULT_MESSAGES: Readonly<Record<RelayAction, MessageSpec>>;
/**
 * The DEFAULT_MESSAGES entries that are guesses, not taken from a public document (all of
 * them: even the handshake's envelope is not published). An entry passed in `messages` is
 * the integrator's and no longer a guess.
 * @type {readonly RelayAction[]}
 */
export declare const UNVERIFIED_MESSAGES: readonly RelayAction[];
/**
 * Relay event → name of the message the iframe posts. The handshake and report.* names are
 * public; `not_authenticated` and the recording events are unverified guesses (the iframe
 * may not send any: see UNVERIFIED_EVENTS). An event's name
 * is read from a string message, or from the `type` or `event` field of an object message;
 * its fields (mrn, accession_number, report_status, sign_context) from the object's `data`
 * field when it is an object, else from the message itself.
 * @type {Readonly<Record<IframeEventKey, string>>}
 */
export declare const DEFAULT_EVENTS: Readonly<Record<IframeEventKey, string>>;
/** @type {readonly IframeEventKey[]} The DEFAULT_EVENTS entries that are guesses. */
export declare const UNVERIFIED_EVENTS: readonly IframeEventKey[];
/**
 * The relay. Events (CustomEvents): 'state' (detail: RelayState, after every change),
 * 'notice' (detail: Notice), 'iframe' (detail {name, fields}: every accepted iframe event).
 * @extends {TypedEventTarget<RelayEventMap>}
 */
export declare class RadpairRelay extends TypedEventTarget<RelayEventMap> {
    _iframe: HTMLIFrameElement;
    _origin: string;
    _bridge: Bridge;
    /** @type {Record<RelayAction, MessageSpec>} */
    _messages: Record<RelayAction, MessageSpec>;
    /** @type {Map<string, IframeEventKey>} iframe event name → relay event */
    _events: Map<string, IframeEventKey>;
    _recordingEvents: boolean;
    _saidLedFollowsRelay: boolean;
    _getToken: () => string | Promise<string>;
    _onNotice: ((notice: Notice) => void) | undefined;
    _signInTimeoutMs: number;
    _tokenRefreshMs: number;
    _reactionTimeoutMs: number;
    /** @type {Timers} */
    _timers: Timers;
    /** @type {unknown} */
    _signInTimer: unknown;
    /** @type {unknown} */
    _refreshTimer: unknown;
    /** @type {Map<RelayAction, {timer: unknown, name: string}>} posted messages awaiting a reaction */
    _watches: Map<RelayAction, {
        timer: unknown;
        name: string;
    }>;
    _authenticating: boolean;
    /** @type {Readonly<RelayState>} */
    state: Readonly<RelayState>;
    /** @type {{request: OpenReportRequest, accessions: string[]} | null} */
    _wanted: {
        request: OpenReportRequest;
        accessions: string[];
    } | null;
    /** @type {ReportState[]} reports other than the current one, most recent last */
    _known: ReportState[];
    _destroyed: boolean;
    _onMessage: (ev: MessageEvent) => void;
    _onCommand: (ev: Event) => boolean;
    _window: (Window & typeof globalThis) | null;
    _onClaim: (ev: Event) => void;
    _sentLed: {
        recording: boolean;
        report_open: boolean;
    };
    /** @param {RelayOptions} options */
    constructor({ iframe, iframeOrigin, bridge, messages, events, getToken, onNotice, signInTimeoutMs, tokenRefreshMs, reactionTimeoutMs, timers }: RelayOptions);
    /**
     * An iframe allowed `hid` may drive the dictation device itself (WebHID) while the bridge
     * relays the same presses: a toggle and a toggle cancel out, two writers fight over the
     * LEDs. Said after the constructor returns, so that 'notice' listeners hear it too.
     */
    _checkAllow(): void;
    /**
     * Opens a report in the iframe now when signed in, else right after sign-in; it is opened
     * again after every new sign-in (the iframe reloads without storage) until it is closed
     * or discarded.
     * @param {OpenReportRequest} request
     */
    openReport(request: OpenReportRequest): void;
    /**
     * Carries out a dictabridge command (what the bridge's 'command' events do; a page may
     * call it from its own buttons). Raises a notice instead when the report's state does not
     * allow it or no message is known for it.
     * @param {string} name e.g. 'report.sign'
     * @returns {boolean} whether a message was posted
     */
    command(name: string): boolean;
    /**
     * Without the iframe's recording events, `recording` (and the record LED) follows the
     * relay's own record messages: said once, since the LED may then disagree with the app.
     * @param {RelayAction} action
     */
    _followOwnPost(action: RelayAction): void;
    /** Stops listening to the iframe and the bridge. */
    destroy(): void;
    /** @param {MessageEvent} ev */
    _handleMessage(ev: MessageEvent): void;
    /** Whether the report openReport() asked for is the current one. */
    _wantedIsCurrent(): boolean;
    /**
     * Posts a token from getToken(), then waits signInTimeoutMs for sign_in_successful and
     * schedules the next sign-in before the token expires. One at a time.
     */
    _authenticate(): Promise<void>;
    /**
     * Watches a posted message for the iframe event that shows it was carried out; none in
     * reactionTimeoutMs raises a notice naming it (its guessed name may be wrong).
     * @param {RelayAction} action
     * @param {unknown} message what was posted
     * @param {string | null} command
     */
    _watch(action: RelayAction, message: unknown, command: string | null): void;
    /** An iframe event ends the watches of the messages it answers. @param {IframeEventKey} key */
    _reacted(key: IframeEventKey): void;
    /** The report openReport() asked for, as a ReportState (status unknown). */
    _wantedReport(): {
        site_id: string;
        mrn: string;
        accessions: string[];
        status: string;
    } | null;
    /**
     * report.opened: the iframe shows this report now, so it becomes the current one (a
     * recall reopens a signed report as draft the same way). Its linked group comes from
     * openReport() or from what the relay already knew about it; the report that was
     * current is kept among the known ones.
     * @param {Record<string, any>} f the event's fields
     * @param {string} status
     */
    _openedReport(f: Record<string, any>, status: string): void;
    /**
     * Sets the status of the report an event names (one of a linked group counts as the
     * group). A status equal to the current one changes nothing: the N report.signed of a
     * linked group are one change. An event for a report that is not the current one (a
     * recall window ending after the next report was opened) only updates what the relay
     * knows about that report: it never takes over the current report, its recording or
     * the LED.
     * @param {Record<string, any>} f the event's fields
     * @param {string | null} status null: keep the status
     * @param {boolean} stopsRecording whether the event ends a recording of the report
     */
    _reportStatus(f: Record<string, any>, status: string | null, stopsRecording: boolean): void;
    /** Keeps a report among the known ones (a bounded list). @param {ReportState} report */
    _remember(report: ReportState): void;
    /**
     * Posts an action's message to the iframe, to the iframe's origin only.
     * @param {RelayAction} action
     * @param {unknown} args
     * @param {string | null} command the command that asked for it (for notices)
     * @returns {boolean} whether it was posted
     */
    _post(action: RelayAction, args: unknown, command: string | null): boolean;
    /**
     * @param {NoticeKind} kind
     * @param {string | null} command
     * @param {string} reason
     * @returns {false}
     */
    _notice(kind: NoticeKind, command: string | null, reason: string): false;
    /** @param {Partial<RelayState>} patch */
    _update(patch: Partial<RelayState>): void;
    /** What the record LED should show: red recording, green open report, else off. */
    _ledState(): {
        recording: boolean;
        report_open: boolean;
    };
}
/**
 * Creates the relay between `bridge` (a DictabridgeClient) and the RADPAIR iframe.
 *
 * - Posts only to `iframeOrigin`, and accepts only messages whose origin is `iframeOrigin`
 *   and whose source is the iframe's window.
 * - Handshake: on every `app_ready` posts the token from getToken() (the credentialless
 *   iframe forgets its session on each load); on `sign_in_successful` opens the report asked
 *   for with openReport() unless it is open already. No sign_in_successful within
 *   signInTimeoutMs: a 'sign_in_timeout' notice. Access tokens expire after 24 h: the relay
 *   posts a new token tokenRefreshMs after the last one, and at once when the iframe says it
 *   is not authenticated (the `not_authenticated` event).
 * - Tracks the report from the iframe's events into `relay.state`: a report is site id +
 *   MRN + accession number, a linked group all of its accession numbers; a group's several
 *   report.signed are one change, and a recall (report.opened as draft after report.signed)
 *   opens it again. Only report.opened makes a report current; any other event for a report
 *   that is not the current one (the second report.signed of a recall window that ends
 *   after the next report was opened) only updates what the relay knows about that report.
 * - Turns the bridge's `command` events into messages from the table, refusing (with a
 *   'notice') what the report's state does not allow: nothing without an open report, sign
 *   only from unread / draft / prelim_signed, prelim sign only from unread / draft.
 * - Stops the recording (posts record_stop) when the bridge loses the commands to another
 *   client (a `claim` event with `owner: false`), so that no recording runs without an owner.
 * - After every change calls bridge.setState({recording, report_open}) so that the record
 *   LED tells the truth. Once the iframe's recording events are configured (named in
 *   `events`) or one arrives, `recording` follows them only, including recording started
 *   or stopped with the app's own controls; until then it follows the relay's own record
 *   posts, and the relay says so once (a 'led_follows_relay' notice). It resets on close,
 *   sign, discard and reload.
 * - A posted message with a known answering event (open → report.opened, sign →
 *   report.signed, save, discard, close; the record messages once recording events are
 *   configured) that draws none within reactionTimeoutMs raises a 'no_reaction' notice
 *   naming it: the default names are unverified guesses (UNVERIFIED_MESSAGES).
 * - Raises a 'hid' notice (and a console warning) when the iframe's `allow` attribute grants
 *   `hid`: the app could then drive the dictation device itself, beside the bridge.
 * @param {RelayOptions} options
 * @returns {RadpairRelay}
 */
export declare function createRadpairRelay(options: RelayOptions): RadpairRelay;
