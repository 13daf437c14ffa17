// Relay between dictabridged (through a DictabridgeClient) and the RADPAIR reporting iframe
// embedded in the host page: the top-level page owns the WebSocket and talks to the iframe
// by postMessage.
//
// What is public (RADPAIR's Basic Iframe Integration Guide): the handshake (the iframe posts
// `app_ready`, the host posts the access token, the iframe posts `sign_in_successful`, the
// host opens a report by mrn + accession number(s) + site id) and the events
// report.opened / closed / saved / discarded_completely / signed.
//
// What is NOT public: the exact postMessage envelope and the names of the commands that
// control recording, processing, signing, saving, discarding and closing (the vendor's
// "Advanced Integration Guide"), whether the iframe reports its recording state, and how it
// says that it is not authenticated. The outgoing messages are therefore a data table,
// DEFAULT_MESSAGES, of best-known guesses, and so are some incoming event names,
// DEFAULT_EVENTS: pass `messages` / `events` to createRadpairRelay to adapt them to the
// vendor's real names. That is the intended way. The guessed entries are listed in
// UNVERIFIED_MESSAGES and UNVERIFIED_EVENTS; the relay says so in notices where a guess
// decides what the radiologist sees (no reaction to a posted message, the record LED).

import { TypedEventTarget } from './dictabridge.js';

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
export const DEFAULT_MESSAGES = Object.freeze({
  // The guide names the content (the token; mrn, accession number(s), site id, metadata);
  // the envelope (`type` and its value) is unverified.
  authenticate: (/** @type {{token: string}} */ { token }) => ({ type: 'authenticate', token }),
  open_report: (/** @type {OpenReportRequest} */ request) => ({ type: 'open_report', ...request }),
  // Unverified guesses, every one: the vendor's names are not public.
  record_start: { type: 'start_recording' },
  record_stop: { type: 'stop_recording' },
  record_toggle: { type: 'toggle_recording' },
  process: { type: 'process_report' },
  sign: { type: 'sign_report', sign_type: 'sign' },
  sign_prelim: { type: 'sign_report', sign_type: 'sign_prelim' },
  save: { type: 'save_report' },
  discard: { type: 'discard_report' },
  close: { type: 'close_report' },
  field_next: null,
  field_previous: null,
});

/**
 * The DEFAULT_MESSAGES entries that are guesses, not taken from a public document (all of
 * them: even the handshake's envelope is not published). An entry passed in `messages` is
 * the integrator's and no longer a guess.
 * @type {readonly RelayAction[]}
 */
export const UNVERIFIED_MESSAGES = Object.freeze(
  /** @type {RelayAction[]} */ (Object.keys(DEFAULT_MESSAGES)).filter(
    (a) => DEFAULT_MESSAGES[a] !== null));

/**
 * Relay event → name of the message the iframe posts. The handshake and report.* names are
 * public; `not_authenticated` and the recording events are unverified guesses (the iframe
 * may not send any: see UNVERIFIED_EVENTS). An event's name
 * is read from a string message, or from the `type` or `event` field of an object message;
 * its fields (mrn, accession_number, report_status, sign_context) from the object's `data`
 * field when it is an object, else from the message itself.
 * @type {Readonly<Record<IframeEventKey, string>>}
 */
export const DEFAULT_EVENTS = Object.freeze({
  app_ready: 'app_ready',
  sign_in_successful: 'sign_in_successful',
  not_authenticated: 'not_authenticated',   // unverified guess
  opened: 'report.opened',
  closed: 'report.closed',
  saved: 'report.saved',
  discarded: 'report.discarded_completely',
  signed: 'report.signed',
  recording_started: 'recording.started',   // unverified guess
  recording_stopped: 'recording.stopped',   // unverified guess
});

/** @type {readonly IframeEventKey[]} The DEFAULT_EVENTS entries that are guesses. */
export const UNVERIFIED_EVENTS = Object.freeze(
  /** @type {IframeEventKey[]} */ (['not_authenticated', 'recording_started', 'recording_stopped']));

/** The iframe events that show it carried out an action's message (none known: not watched). */
const REACTIONS = /** @type {Partial<Record<RelayAction, IframeEventKey[]>>} */ ({
  open_report: ['opened'],
  sign: ['signed'],
  sign_prelim: ['signed'],
  save: ['saved'],
  discard: ['discarded'],
  close: ['closed'],
  record_start: ['recording_started'],
  record_stop: ['recording_stopped'],
  record_toggle: ['recording_started', 'recording_stopped'],
});
const RECORD_ACTIONS = Object.freeze(['record_start', 'record_stop', 'record_toggle']);

/**
 * What a dictabridge command needs: 'report' any known report, 'open' a report that can
 * still be worked on and signed (OPEN_STATUSES), 'unsigned' one not signed at all.
 * @type {Readonly<Record<string, {action: RelayAction, needs: 'report' | 'open' | 'unsigned'}>>}
 */
const COMMANDS = Object.freeze({
  'record.toggle': { action: 'record_toggle', needs: 'open' },
  'record.start': { action: 'record_start', needs: 'open' },
  'record.stop': { action: 'record_stop', needs: 'open' },
  'report.process': { action: 'process', needs: 'open' },
  'report.sign': { action: 'sign', needs: 'open' },
  'report.sign_prelim': { action: 'sign_prelim', needs: 'unsigned' },
  'report.save': { action: 'save', needs: 'open' },
  'report.discard': { action: 'discard', needs: 'open' },
  'report.close': { action: 'close', needs: 'report' },
  'field.next': { action: 'field_next', needs: 'open' },
  'field.previous': { action: 'field_previous', needs: 'open' },
});

/** Statuses of an open report: it can be dictated into and (finally) signed. */
const OPEN_STATUSES = Object.freeze(['unread', 'draft', 'prelim_signed']);
/** Statuses a preliminary signature may start from. */
const UNSIGNED_STATUSES = Object.freeze(['unread', 'draft']);
/** report.signed's sign_context.sign_type → the report's resulting status. */
const SIGNED_STATUS = /** @type {Record<string, string>} */ ({
  sign: 'signed',
  sign_prelim: 'prelim_signed',
  sign_addendum: 'addendum_signed',
  sign_addendum_prelim: 'addendum_prelim_signed',
});

/** How many reports besides the current one the relay remembers. */
const MAX_KNOWN_REPORTS = 32;

/**
 * Whether an event's fields name `report`: same site id, same MRN and one of its accession
 * numbers (a linked group is one report). A field the event lacks does not count against it.
 * @param {ReportState | null} report
 * @param {Record<string, any>} f
 */
function matches(report, f) {
  if (!report) return false;
  if (typeof f.site_id === 'string' && report.site_id !== null && f.site_id !== report.site_id) {
    return false;
  }
  if (typeof f.mrn === 'string' && report.mrn !== null && f.mrn !== report.mrn) return false;
  return typeof f.accession_number !== 'string' ||
    report.accessions.includes(f.accession_number);
}

/**
 * @param {unknown} data a message event's data
 * @returns {{name: string, fields: Record<string, any>} | null}
 */
function readIframeEvent(data) {
  if (typeof data === 'string') return { name: data, fields: {} };
  if (!data || typeof data !== 'object') return null;
  const message = /** @type {Record<string, any>} */ (data);
  const name = message.type ?? message.event;
  if (typeof name !== 'string') return null;
  const fields = message.data && typeof message.data === 'object' ? message.data : message;
  return { name, fields };
}

/**
 * The relay. Events (CustomEvents): 'state' (detail: RelayState, after every change),
 * 'notice' (detail: Notice), 'iframe' (detail {name, fields}: every accepted iframe event).
 * @extends {TypedEventTarget<RelayEventMap>}
 */
export class RadpairRelay extends TypedEventTarget {
  /** @param {RelayOptions} options */
  constructor({ iframe, iframeOrigin, bridge, messages = {}, events = {}, getToken, onNotice,
                signInTimeoutMs = 30000, tokenRefreshMs = 23 * 3600 * 1000,
                reactionTimeoutMs = 5000, timers }) {
    super();
    this._iframe = iframe;
    this._origin = iframeOrigin;
    this._bridge = bridge;
    /** @type {Record<RelayAction, MessageSpec>} */
    this._messages = { ...DEFAULT_MESSAGES, ...messages };
    /** @type {Map<string, IframeEventKey>} iframe event name → relay event */
    this._events = new Map();
    const names = { ...DEFAULT_EVENTS, ...events };
    for (const key of /** @type {IframeEventKey[]} */ (Object.keys(names))) {
      this._events.set(names[key], key);
    }
    // The iframe's recording events are trusted once the integrator names them or one
    // arrives; until then the relay's own record posts decide `recording`.
    this._recordingEvents = 'recording_started' in events || 'recording_stopped' in events;
    this._saidLedFollowsRelay = false;
    this._getToken = getToken;
    this._onNotice = onNotice;
    this._signInTimeoutMs = signInTimeoutMs;
    this._tokenRefreshMs = tokenRefreshMs;
    this._reactionTimeoutMs = reactionTimeoutMs;
    /** @type {Timers} */
    this._timers = timers ?? {
      setTimeout: (fn, ms) => setTimeout(fn, ms),
      clearTimeout: (handle) => clearTimeout(handle),
    };
    /** @type {unknown} */
    this._signInTimer = null;
    /** @type {unknown} */
    this._refreshTimer = null;
    /** @type {Map<RelayAction, {timer: unknown, name: string}>} posted messages awaiting a reaction */
    this._watches = new Map();
    this._authenticating = false;
    /** @type {Readonly<RelayState>} */
    this.state = Object.freeze({ signedIn: false, report: null, recording: false });
    /** @type {{request: OpenReportRequest, accessions: string[]} | null} */
    this._wanted = null;
    /** @type {ReportState[]} reports other than the current one, most recent last */
    this._known = [];
    this._destroyed = false;

    this._onMessage = (/** @type {MessageEvent} */ ev) => this._handleMessage(ev);
    this._onCommand = (/** @type {Event} */ ev) =>
      this.command(/** @type {CustomEvent} */ (ev).detail?.command);
    this._window = iframe.ownerDocument.defaultView;
    // A tab that lost the commands must not go on recording: the device could no longer
    // stop it, and the LEDs show the new owner's state, not this one's.
    this._onClaim = (/** @type {Event} */ ev) => {
      if (/** @type {CustomEvent} */ (ev).detail?.owner === false && this.state.recording) {
        this.command('record.stop');
      }
    };
    this._window?.addEventListener('message', this._onMessage);
    bridge.addEventListener('command', this._onCommand);
    bridge.addEventListener('claim', this._onClaim);
    this._sentLed = this._ledState();
    bridge.setState(this._sentLed);
    this._checkAllow();
  }

  /**
   * An iframe allowed `hid` may drive the dictation device itself (WebHID) while the bridge
   * relays the same presses: a toggle and a toggle cancel out, two writers fight over the
   * LEDs. Said after the constructor returns, so that 'notice' listeners hear it too.
   */
  _checkAllow() {
    const allow = this._iframe.getAttribute?.('allow') ?? '';
    const features = allow.split(';').map((f) => f.trim().split(/\s+/)[0]);
    if (!features.includes('hid')) return;
    const reason = 'the reporting iframe is allowed WebHID (allow="hid") while dictabridge ' +
      'relays the dictation device: one press may act twice and the LEDs have two writers; ' +
      'drop hid from the iframe\'s allow attribute';
    console.warn(`dictabridge relay: ${reason}`);
    Promise.resolve().then(() => { if (!this._destroyed) this._notice('hid', null, reason); });
  }

  /**
   * Opens a report in the iframe now when signed in, else right after sign-in; it is opened
   * again after every new sign-in (the iframe reloads without storage) until it is closed
   * or discarded.
   * @param {OpenReportRequest} request
   */
  openReport(request) {
    const accessions = request.accession_numbers ??
      (request.accession_number === undefined ? [] : [request.accession_number]);
    if (typeof request.mrn !== 'string' || typeof request.site_id !== 'string' ||
        accessions.length === 0) {
      throw new TypeError('openReport needs mrn, site_id and accession_number or accession_numbers');
    }
    this._wanted = { request, accessions: [...accessions] };
    if (this.state.signedIn) this._post('open_report', request, null);
  }

  /**
   * Carries out a dictabridge command (what the bridge's 'command' events do; a page may
   * call it from its own buttons). Raises a notice instead when the report's state does not
   * allow it or no message is known for it.
   * @param {string} name e.g. 'report.sign'
   * @returns {boolean} whether a message was posted
   */
  command(name) {
    const spec = COMMANDS[name];
    if (!spec) return this._notice('unknown_command', name, `unknown command ${String(name)}`);
    const report = this.state.report;
    if (!report) return this._notice('refused', name, `no report is open: ${name} ignored`);
    if ((spec.needs === 'open' && !OPEN_STATUSES.includes(report.status)) ||
        (spec.needs === 'unsigned' && !UNSIGNED_STATUSES.includes(report.status))) {
      return this._notice('refused', name, `the report is ${report.status}: ${name} ignored`);
    }
    if (!this._post(spec.action, undefined, name)) return false;
    if (RECORD_ACTIONS.includes(spec.action) && !this._recordingEvents) this._followOwnPost(spec.action);
    return true;
  }

  /**
   * Without the iframe's recording events, `recording` (and the record LED) follows the
   * relay's own record messages: said once, since the LED may then disagree with the app.
   * @param {RelayAction} action
   */
  _followOwnPost(action) {
    if (!this._saidLedFollowsRelay) {
      this._saidLedFollowsRelay = true;
      this._notice('led_follows_relay', null, 'the record LED follows the relay\'s own ' +
        'record messages, not the reporting app: its recording events are not configured ' +
        '(events.recording_started / recording_stopped)');
    }
    const recording = action === 'record_start' ||
      (action === 'record_toggle' && !this.state.recording);
    this._update({ recording });
  }

  /** Stops listening to the iframe and the bridge. */
  destroy() {
    this._destroyed = true;
    this._timers.clearTimeout(this._signInTimer);
    this._timers.clearTimeout(this._refreshTimer);
    for (const w of this._watches.values()) this._timers.clearTimeout(w.timer);
    this._watches.clear();
    this._window?.removeEventListener('message', this._onMessage);
    this._bridge.removeEventListener('command', this._onCommand);
    this._bridge.removeEventListener('claim', this._onClaim);
  }

  // --- iframe → relay -----------------------------------------------------------------

  /** @param {MessageEvent} ev */
  _handleMessage(ev) {
    if (ev.origin !== this._origin || ev.source !== this._iframe.contentWindow) return;
    const event = readIframeEvent(ev.data);
    const key = event && this._events.get(event.name);
    if (!event || !key) return;
    this.dispatchEvent(new CustomEvent('iframe', { detail: event }));
    this._reacted(key);
    const f = event.fields;
    switch (key) {
    case 'app_ready':
      // A (re)loaded credentialless iframe has no session and no report.
      this._update({ signedIn: false, report: null, recording: false });
      this._authenticate();
      break;
    case 'not_authenticated':
      this._update({ signedIn: false });
      this._authenticate();
      break;
    case 'sign_in_successful':
      this._timers.clearTimeout(this._signInTimer);
      this._update({ signedIn: true });
      // A new sign-in of the same session (a refreshed token) keeps the report open.
      if (this._wanted && !this._wantedIsCurrent()) {
        this._post('open_report', this._wanted.request, null);
      }
      break;
    case 'opened':
      this._openedReport(f, typeof f.report_status === 'string' ? f.report_status : 'draft');
      break;
    case 'saved':
      this._reportStatus(f, typeof f.report_status === 'string' ? f.report_status : null,
                         false);
      break;
    case 'signed':
      this._reportStatus(f, SIGNED_STATUS[f.sign_context?.sign_type] ?? f.report_status ??
                            'signed', true);
      break;
    case 'closed':
    case 'discarded':
      if (this._wanted && matches(this._wantedReport(), f)) this._wanted = null;
      if (matches(this.state.report, f)) {
        this._update({ report: null, recording: false });
      } else {
        this._known = this._known.filter((r) => !matches(r, f));
      }
      break;
    case 'recording_started':
    case 'recording_stopped':
      this._recordingEvents = true;
      if (!this.state.report || matches(this.state.report, f)) {
        this._update({ recording: key === 'recording_started' });
      }
      break;
    }
  }

  /** Whether the report openReport() asked for is the current one. */
  _wantedIsCurrent() {
    const report = this.state.report;
    return !!report && !!this._wanted && report.site_id === this._wanted.request.site_id &&
      report.mrn === this._wanted.request.mrn &&
      this._wanted.accessions.every((a) => report.accessions.includes(a));
  }

  /**
   * Posts a token from getToken(), then waits signInTimeoutMs for sign_in_successful and
   * schedules the next sign-in before the token expires. One at a time.
   */
  async _authenticate() {
    if (this._authenticating) return;
    this._authenticating = true;
    this._timers.clearTimeout(this._refreshTimer);
    let token;
    try {
      token = await this._getToken();
    } catch (e) {
      this._notice('token', null, `could not get the reporting app's access token: ${String(e)}`);
      return;
    } finally {
      this._authenticating = false;
    }
    if (this._destroyed || !this._post('authenticate', { token }, null)) return;
    this._timers.clearTimeout(this._signInTimer);
    this._signInTimer = this._timers.setTimeout(() => {
      this._notice('sign_in_timeout', null, 'the reporting app did not confirm the sign-in ' +
        `(no sign_in_successful within ${this._signInTimeoutMs / 1000} s): check the access ` +
        'token and that this page\'s domain is allowed in the app\'s integration settings');
    }, this._signInTimeoutMs);
    this._refreshTimer = this._timers.setTimeout(() => this._authenticate(), this._tokenRefreshMs);
  }

  /**
   * Watches a posted message for the iframe event that shows it was carried out; none in
   * reactionTimeoutMs raises a notice naming it (its guessed name may be wrong).
   * @param {RelayAction} action
   * @param {unknown} message what was posted
   * @param {string | null} command
   */
  _watch(action, message, command) {
    const reactions = REACTIONS[action];
    if (!reactions || (RECORD_ACTIONS.includes(action) && !this._recordingEvents)) return;
    const old = this._watches.get(action);
    if (old) this._timers.clearTimeout(old.timer);
    const type = message && typeof message === 'object' ? /** @type {any} */ (message).type : null;
    const name = typeof type === 'string' ? `'${type}'` : `'${action}'`;
    const timer = this._timers.setTimeout(() => {
      this._watches.delete(action);
      this._notice('no_reaction', command, `the reporting app did not react to the ${name} ` +
        `message${command ? ` (${command})` : ''} within ${this._reactionTimeoutMs / 1000} s: ` +
        `its name may be wrong (an unverified guess); set the relay's '${action}' message`);
    }, this._reactionTimeoutMs);
    this._watches.set(action, { timer, name });
  }

  /** An iframe event ends the watches of the messages it answers. @param {IframeEventKey} key */
  _reacted(key) {
    for (const [action, w] of this._watches) {
      if (REACTIONS[action]?.includes(key)) {
        this._timers.clearTimeout(w.timer);
        this._watches.delete(action);
      }
    }
  }

  /** The report openReport() asked for, as a ReportState (status unknown). */
  _wantedReport() {
    if (!this._wanted) return null;
    const { request, accessions } = this._wanted;
    return { site_id: request.site_id, mrn: request.mrn, accessions, status: 'unread' };
  }

  /**
   * report.opened: the iframe shows this report now, so it becomes the current one (a
   * recall reopens a signed report as draft the same way). Its linked group comes from
   * openReport() or from what the relay already knew about it; the report that was
   * current is kept among the known ones.
   * @param {Record<string, any>} f the event's fields
   * @param {string} status
   */
  _openedReport(f, status) {
    const current = this.state.report;
    if (current && matches(current, f)) {
      this._reportStatus(f, status, false);
      return;
    }
    const known = this._known.find((r) => matches(r, f)) ??
      (matches(this._wantedReport(), f) ? this._wantedReport() : null);
    const accession = typeof f.accession_number === 'string' ? f.accession_number : null;
    this._known = this._known.filter((r) => r !== known);
    if (current) this._remember(current);
    this._update({
      report: {
        site_id: typeof f.site_id === 'string' ? f.site_id : known?.site_id ?? null,
        mrn: typeof f.mrn === 'string' ? f.mrn : known?.mrn ?? null,
        accessions: known ? [...known.accessions] : accession === null ? [] : [accession],
        status,
      },
      recording: false,
    });
  }

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
  _reportStatus(f, status, stopsRecording) {
    const current = this.state.report;
    if (current && matches(current, f)) {
      const next = status ?? current.status;
      this._update({
        report: next === current.status ? current : { ...current, status: next },
        recording: stopsRecording ? false : this.state.recording,
      });
      return;
    }
    const known = this._known.find((r) => matches(r, f));
    if (known && status !== null) {
      this._known = this._known.filter((r) => r !== known);
      this._remember({ ...known, status });
    }
  }

  /** Keeps a report among the known ones (a bounded list). @param {ReportState} report */
  _remember(report) {
    this._known.push(report);
    if (this._known.length > MAX_KNOWN_REPORTS) this._known.shift();
  }

  // --- relay → iframe, page, daemon ---------------------------------------------------

  /**
   * Posts an action's message to the iframe, to the iframe's origin only.
   * @param {RelayAction} action
   * @param {unknown} args
   * @param {string | null} command the command that asked for it (for notices)
   * @returns {boolean} whether it was posted
   */
  _post(action, args, command) {
    const spec = this._messages[action];
    if (spec === null || spec === undefined) {
      return this._notice('no_message', command, `the reporting app has no known message ` +
        `for ${command ?? action}; add a '${action}' entry to the relay's messages`);
    }
    const target = this._iframe.contentWindow;
    if (!target) return this._notice('no_iframe', command, 'the reporting iframe is not loaded');
    const message = typeof spec === 'function' ? spec(args) : spec;
    target.postMessage(message, this._origin);
    this._watch(action, message, command);
    return true;
  }

  /**
   * @param {NoticeKind} kind
   * @param {string | null} command
   * @param {string} reason
   * @returns {false}
   */
  _notice(kind, command, reason) {
    const notice = { kind, command, reason };
    this._onNotice?.(notice);
    this.dispatchEvent(new CustomEvent('notice', { detail: notice }));
    return false;
  }

  /** @param {Partial<RelayState>} patch */
  _update(patch) {
    const next = { ...this.state, ...patch };
    if (next.signedIn === this.state.signedIn && next.report === this.state.report &&
        next.recording === this.state.recording) return;
    this.state = Object.freeze(next);
    this.dispatchEvent(new CustomEvent('state', { detail: this.state }));
    const led = this._ledState();
    if (led.recording !== this._sentLed.recording || led.report_open !== this._sentLed.report_open) {
      this._sentLed = led;
      this._bridge.setState(led);
    }
  }

  /** What the record LED should show: red recording, green open report, else off. */
  _ledState() {
    const report = this.state.report;
    const open = report !== null && OPEN_STATUSES.includes(report.status);
    return { recording: open && this.state.recording, report_open: open };
  }
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
export function createRadpairRelay(options) {
  return new RadpairRelay(options);
}
