// Stand-ins for the browser objects the web modules use: WebSocket, fetch, timers, the
// document and window, the reporting iframe, and a dictabridge client for the relay.

// Node 18 has CustomEvent only behind --experimental-global-customevent (Debian 12's
// nodejs is 18); browsers and node >= 19 have it.
if (typeof globalThis.CustomEvent !== 'function') {
  globalThis.CustomEvent = class CustomEvent extends Event {
    constructor(type, init = {}) {
      super(type, init);
      this.detail = init.detail ?? null;
    }
  };
}

/** A WebSocket class whose instances the test drives by hand. */
export function fakeWebSocketClass() {
  return class FakeWebSocket {
    static instances = [];

    constructor(url, protocol) {
      this.url = url;
      this.protocol = protocol;
      this.sent = [];
      this.closedWith = null;
      this.onopen = this.onmessage = this.onclose = this.onerror = null;
      FakeWebSocket.instances.push(this);
    }

    /** Every JSON message sent, parsed. */
    get messages() { return this.sent.map((s) => JSON.parse(s)); }

    send(data) { this.sent.push(data); }
    close(code) { this.closedWith = code; }

    // --- the test's side ---
    open() { this.onopen?.({}); }
    receive(data) {
      this.onmessage?.({ data: typeof data === 'object' && !(data instanceof ArrayBuffer)
        ? JSON.stringify(data) : data });
    }
    drop(code = 1006) { this.onclose?.({ code }); }
  };
}

/** A fetch that fails like a refused connection ('nothing') or answers ('answers'). */
export function fakeFetch(mode) {
  const fetch = async (url, init) => {
    fetch.calls.push({ url, init });
    if (fetch.mode === 'nothing') throw new TypeError('Failed to fetch');
    return { type: 'opaque', status: 0 };
  };
  fetch.calls = [];
  fetch.mode = mode;
  return fetch;
}

/** setTimeout / clearTimeout that run only when the test says so. */
export function fakeTimers() {
  let next = 1;
  const pending = new Map();
  return {
    pending,
    setTimeout(fn, ms) { pending.set(next, { fn, ms }); return next++; },
    clearTimeout(id) { pending.delete(id); },
    /** The delays of the timers waiting, in order of creation. */
    delays() { return [...pending.values()].map((t) => t.ms); },
    /** Runs every timer waiting now. */
    runAll() {
      const now = [...pending.entries()];
      pending.clear();
      for (const [, t] of now) t.fn();
    },
  };
}

/** A document with a window: visibility and focus set by the test. */
export function fakeDocument({ visible = true, focused = true } = {}) {
  const doc = new EventTarget();
  doc.defaultView = new EventTarget();
  doc.visibilityState = visible ? 'visible' : 'hidden';
  doc.focused = focused;
  doc.hasFocus = () => doc.focused;
  doc.activeElement = { tagName: 'BODY' };
  return doc;
}

/** Lets pending promise callbacks run. */
export function settle() {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * The reporting iframe: a content window recording postMessage, in a host window, with
 * an `allow` attribute (null: none).
 */
export function fakeIframe({ allow = 'microphone' } = {}) {
  const contentWindow = {
    posted: [],
    postMessage(message, targetOrigin) { this.posted.push({ message, targetOrigin }); },
  };
  const hostWindow = new EventTarget();
  return { contentWindow, ownerDocument: { defaultView: hostWindow },
           getAttribute: (name) => (name === 'allow' ? allow : null) };
}

/** Delivers a message event to the host window as if `source` at `origin` posted it. */
export function postFrom(iframe, data, { origin, source = iframe.contentWindow }) {
  const ev = Object.assign(new Event('message'), { data, origin, source });
  iframe.ownerDocument.defaultView.dispatchEvent(ev);
}

/** The part of DictabridgeClient the relay uses, recording setState calls. */
export class FakeBridge extends EventTarget {
  states = [];
  setState(state) { this.states.push({ ...state }); }
  command(command) {
    this.dispatchEvent(new CustomEvent('command', {
      detail: { type: 'command', device_id: 'd1', command, button: 'record', gesture: 'press' },
    }));
  }
  claim(owner) {
    this.dispatchEvent(new CustomEvent('claim', { detail: { type: 'claim', owner } }));
  }
}

/** setTimeout / clearTimeout on a clock that moves only when the test says so. */
export function fakeClock() {
  let now = 0;
  let next = 1;
  const pending = new Map();
  return {
    pending,
    get now() { return now; },
    setTimeout(fn, ms) { pending.set(next, { fn, at: now + ms }); return next++; },
    clearTimeout(id) { pending.delete(id); },
    /** Moves the clock on by `ms`, running every timer that falls due, in time order. */
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...pending.entries()].filter(([, t]) => t.at <= end)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!due) break;
        pending.delete(due[0]);
        now = due[1].at;
        due[1].fn();
      }
      now = end;
    },
  };
}
