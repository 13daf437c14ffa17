// Compiled with `strict` against the packed dictabridge-web, installed like an integrator
// would: the event map types the listeners, the names are unions, the options are checked.
import { DictabridgeClient, type ButtonName, type CommandName, type ConnectionStatus }
  from 'dictabridge-web';
import { createRadpairRelay, UNVERIFIED_MESSAGES, type Notice, type RelayState }
  from 'dictabridge-web/radpair-relay';

const client = new DictabridgeClient({ url: 'ws://127.0.0.1:27415/' });
client.addEventListener('button', (e) => {
  const button: ButtonName = e.detail.button;
  const pressed: boolean = e.detail.pressed;
  console.log(button, pressed);
});
client.addEventListener('command', (e) => {
  const command: CommandName = e.detail.command;
  const button: ButtonName | null = e.detail.button;
  console.log(command, button, e.detail.gesture);
});
client.addEventListener('connection', (e) => {
  const status: ConnectionStatus = e.detail.status;
  console.log(status, e.detail.reason);
});
// An event the map does not name still takes a plain listener.
client.addEventListener('something.else', (e: Event) => console.log(e.type));

// @ts-expect-error: no such field on a button message
client.addEventListener('button', (e) => console.log(e.detail.buton));
// @ts-expect-error: not a command name
const wrong: CommandName = 'report.publish';
// @ts-expect-error: not a connection status
const status: ConnectionStatus = 'connected';

declare const iframe: HTMLIFrameElement;
const relay = createRadpairRelay({
  iframe,
  iframeOrigin: 'https://reader.example.com',
  bridge: client,
  getToken: async () => 'token',
  signInTimeoutMs: 30000,
  onNotice: (n: Notice) => console.log(n.kind, n.reason),
});
relay.addEventListener('state', (e) => {
  const state: RelayState = e.detail;
  console.log(state.report?.site_id, state.recording);
});
relay.addEventListener('notice', (e) => console.log(e.detail.kind));
// @ts-expect-error: not a notice kind
relay.addEventListener('notice', (e) => { const k: 'hid' | 'refused' = e.detail.kind; console.log(k); });
relay.openReport({ mrn: 'M1', accession_number: 'A1', site_id: 'MAIN' });
console.log(UNVERIFIED_MESSAGES, wrong, status);
