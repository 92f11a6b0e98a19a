// The hamd operator console: a one-page app with hash routes
// (#/overview, #/gateways, ...), served by every node at / and kept live
// by one Server-Sent Events stream. docs/console.md describes it.
import {authState, forgetToken, onAuthChange, setToken} from './api.js';
import {duration, fill, h} from './lib.js';
import {connect, live, on, refreshAccounts, selfNode} from './live.js';
import accounts from './page-accounts.js';
import apiPage from './page-api.js';
import contracts from './page-contracts.js';
import events from './page-events.js';
import gateways from './page-gateways.js';
import logs from './page-logs.js';
import overview from './page-overview.js';

const PAGES = {overview, gateways, contracts, accounts, events, logs, api: apiPage};
const TICK_MS = 1000; // the connection line counts down once a second

let current = null; // {name, stop}

function pageName() {
  const name = location.hash.replace(/^#\/?/, '').split(/[/?]/)[0];
  return PAGES[name] ? name : 'overview';
}

function route() {
  const name = pageName();
  if (current && current.name === name) return;
  if (current && current.stop) current.stop();
  const dlg = document.getElementById('dialog');
  if (dlg.open) dlg.close(); // a dialog belongs to the page it came from
  const page = PAGES[name];
  const main = document.getElementById('main');
  fill(main);
  document.getElementById('page-title').textContent = page.title;
  document.title = `${page.title} · hamd console`;
  for (const a of document.querySelectorAll('#nav a'))
    if (a.dataset.page === name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  current = {name, stop: page.mount(main)};
  main.focus({preventScroll: true});
}

// ---------------------------------------------------------------------------
// The frame: which node this is, the stream, the token
// ---------------------------------------------------------------------------

function renderNodeInfo() {
  const self = selfNode();
  const el = document.getElementById('node-info');
  if (!self) return fill(el, 'connecting…');
  const st = self.status || {};
  fill(el,
    h('div', {class: 'node-id'}, `Node ${self.id}`),
    h('div', {class: 'muted'}, st.role ? `${st.role}${st.publishing ? ', publishing' : ''}` : 'unknown'),
    h('div', {class: 'muted mono'}, self.admin),
    st.version ? h('div', {class: 'muted'}, `hamd ${st.version}`) : null);
}

function renderConn() {
  const el = document.getElementById('conn');
  const banner = document.getElementById('banner');
  const text = {
    connecting: 'Connecting…',
    live: 'Live',
    disconnected: `Disconnected — retrying in ${Math.ceil(live.retryInMs / TICK_MS)} s`,
  }[live.conn];
  el.className = `conn ${live.conn}`;
  fill(el, h('span', {class: 'dot', 'aria-hidden': 'true'}), text);
  // Stale content is greyed out: a green "Healthy" from before the break
  // must not read as the cluster's state now.
  const stale = live.conn === 'disconnected';
  document.getElementById('main').classList.toggle('stale', stale);
  document.getElementById('node-info').classList.toggle('stale', stale);
  banner.hidden = !stale;
  if (!stale) return;
  const age = live.viewAt === null ? 'no status received yet'
    : `the last status came ${duration(Date.now() - live.viewAt)} ago`;
  fill(banner, h('strong', {}, 'Disconnected. '),
    `The live stream of this node stopped: what you see is stale (${age}). `,
    'The page reconnects by itself (through the VIP, to whichever node answers).');
}

function renderAuth() {
  const el = document.getElementById('auth');
  const {required, set} = authState();
  if (required === null) return fill(el);
  if (!required) {
    return fill(el, h('span', {class: 'auth-open', title: 'No [admin] token_file: anyone who reaches the admin address can change the cluster'},
      'Open cluster: changes need no token'));
  }
  fill(el,
    h('span', {class: set ? 'auth-set' : 'auth-need'}, set ? 'Token set' : 'Token required for changes'),
    h('button', {class: 'btn small', type: 'button', onclick: () => (set ? forgetToken() : setToken())},
      set ? 'Forget' : 'Set token'));
}

function countdown() {
  if (live.conn === 'disconnected') {
    live.retryInMs = Math.max(0, live.retryInMs - TICK_MS);
    renderConn();
  }
}

function boot() {
  on('view', renderNodeInfo);
  on('conn', renderConn);
  onAuthChange(renderAuth);
  setInterval(countdown, TICK_MS);
  window.addEventListener('hashchange', route);
  renderConn();
  route();
  refreshAccounts();
  connect();
}

boot();
