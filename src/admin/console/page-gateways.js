// Gateways: one card per gateway of the chosen node, grouped by gateway
// type and sorted by priority, live: state, process, tick and canary
// ages, ticks per second with a sparkline; Start, Stop and Hard restart.
import {send} from './api.js';
import {ago, badge, confirmDialog, fill, h, int, sparkline, stateBadge, stateClass,
  toast, withProgress} from './lib.js';
import {accountOf, live, nodes, on, rateOf, refreshAccounts, selfNode} from './live.js';

const PENDING_MAX_MS = 15000; // a restart not seen to happen by then: give up
const RATE_DECIMALS = 1;

// The node whose gateways are shown (null: this page's node).
let chosen = null;

function shownNode() {
  const ns = nodes();
  return ns.find((n) => n.id === chosen) || selfNode() || ns[0] || null;
}

// ---------------------------------------------------------------------------
// One card, kept across updates so buttons keep their progress and focus
// ---------------------------------------------------------------------------

function field(label, valueEl) {
  return h('div', {class: 'kv-row'}, h('dt', {}, label), h('dd', {}, valueEl));
}

// The gateway's own last STATUS: once its process is gone that is what
// it said before, not what it says (a stopped card said "logged_in").
function saidText(g) {
  const said = [g.status || '—', g.detail ? h('span', {class: 'muted'}, ` ${g.detail}`) : ''];
  if (g.pid || !g.status) return said;
  return [h('span', {class: 'muted'}, 'not running; last said '), ...said];
}

class Card {
  constructor(account) {
    this.account = account;
    this.pending = null; // {since, pid, restarts}: a restart ordered here
    const noteId = `note-${account}`;
    this.buttons = {};
    const btn = (action, label, cls) => (this.buttons[action] = h('button', {type: 'button', class: `btn ${cls}`,
      dataset: {action, note: noteId}, onclick: (e) => this.act(action, e.currentTarget)}, label));
    this.title = h('h3', {}, account);
    this.name = h('span', {class: 'muted card-name'});
    this.prio = h('span', {class: 'prio'});
    this.state = h('span', {class: 'card-state'});
    this.v = {};
    const val = (k) => (this.v[k] = h('span', {class: `v-${k}`}));
    this.spark = h('span', {class: 'spark-box'});
    this.el = h('article', {class: 'card gw', dataset: {account}, 'aria-label': `Gateway ${account}`},
      h('header', {class: 'card-head'}, h('div', {}, this.title, this.name), h('div', {class: 'card-tags'}, this.prio, this.state)),
      h('dl', {class: 'kv'},
        field('PID', val('pid')),
        field('Restarts', val('restarts')),
        field('Last tick', val('tick')),
        field('Canary', val('canary')),
        field('Ticks/s', h('span', {class: 'rate'}, val('rate'), this.spark)),
        field('Active contracts', val('active')),
        field('Gateway says', val('status'))),
      h('footer', {class: 'card-actions'},
        btn('start', 'Start', ''), btn('stop', 'Stop', ''), btn('restart', 'Hard restart', 'danger-outline'),
        h('span', {class: 'note', id: noteId, 'aria-live': 'polite'})));
  }

  // The state shown: RESTARTING from the moment a restart was ordered
  // here until the node reports the new process.
  shownState(g) {
    const p = this.pending;
    if (p && (g.pid !== p.pid || g.restarts > p.restarts || Date.now() - p.since > PENDING_MAX_MS))
      this.pending = null;
    return this.pending ? 'RESTARTING' : g.state;
  }

  update(node, g) {
    this.node = node;
    this.g = g;
    const acct = accountOf(g.account) || {};
    const state = this.shownState(g);
    this.el.className = `card gw state-${stateClass(state)}`;
    this.el.dataset.state = state || '';
    fill(this.name, acct.name && acct.name !== g.account ? acct.name : '');
    fill(this.prio, badge(`priority ${g.priority}`, 'plain', '1 = best'));
    fill(this.state, stateBadge(state), g.enabled ? null : badge('disabled', 'off'),
      g.held ? badge('held', 'bad', g.held) : null);
    fill(this.v.pid, g.pid ? String(g.pid) : 'not running');
    fill(this.v.restarts, int(g.restarts), g.last_exit ? h('span', {class: 'muted'}, ` (last: ${g.last_exit})`) : '');
    fill(this.v.tick, ago(g.last_tick_age_ms));
    fill(this.v.canary, acct.canary ? [ago(g.canary_age_ms), h('span', {class: 'muted'}, ` ${acct.canary}`)] : 'none set');
    const r = rateOf(node.id, g.account);
    fill(this.v.rate, r.now === null ? '—' : r.now.toFixed(RATE_DECIMALS));
    fill(this.spark, sparkline(r.series, `ticks per second of ${g.account}, last minutes`));
    fill(this.v.active, int(g.active_contracts));
    fill(this.v.status, ...saidText(g));
    this.enableActions(state);
  }

  // Only what can act: Start on a stopped gateway, Stop and Hard restart on
  // one that runs (the API refuses a restart of a STOPPED one), nothing
  // more while a restart ordered here is under way. A button busy with its
  // request is left to withProgress.
  enableActions(state) {
    const stopped = state === 'STOPPED';
    const off = {start: !stopped, stop: stopped, restart: stopped || state === 'RESTARTING'};
    for (const [action, b] of Object.entries(this.buttons))
      if (!b.classList.contains('busy')) b.disabled = off[action];
  }

  async act(action, button) {
    const g = this.g;
    const id = this.account;
    const node = this.node.id;
    const what = `${id} is ${g.state || 'in no state yet'} with priority ${g.priority}`;
    if (action === 'stop' && !(await confirmDialog({
      title: `Stop ${id}?`, confirm: `Stop ${id}`, danger: true,
      body: [h('p', {}, `${what}.`), h('p', {}, 'Its gateways stop on every node (replicated) and ' +
        'failover moves its contracts to other sources. Start brings it back.')]})))
      return;
    if (action === 'restart' && !(await confirmDialog({
      title: `Hard-restart ${id} on node ${node}?`, confirm: 'Hard restart', danger: true,
      body: [h('p', {}, `${what} on node ${node}.`), h('p', {}, 'The gateway process is killed and ' +
        'relaunched on this node only; its contracts fail over meanwhile if it carried any.')]})))
      return;
    const calls = {
      start: ['Starting…', () => send('POST', `/api/accounts/${id}/start`), 'Started on every node'],
      stop: ['Stopping…', () => send('POST', `/api/accounts/${id}/stop`), 'Stopped on every node'],
      restart: ['Restarting…', () => send('POST', `/api/accounts/${id}/restart?node=${node}`), `Restart ordered on node ${node}`],
    };
    const [busy, fn, done] = calls[action];
    const before = {since: Date.now(), pid: g.pid, restarts: g.restarts};
    const ok = await withProgress(button, busy, fn, done);
    if (ok === undefined) return;
    toast(`${id}: ${done.toLowerCase()}`);
    if (action === 'restart') {
      this.pending = before;
      this.update(this.node, this.g);
    }
    refreshAccounts();
  }
}

// ---------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------

function nodePicker(box, rerender) {
  const ns = nodes();
  const current = shownNode();
  fill(box, ns.map((n) => h('button', {type: 'button', class: 'seg',
    'aria-pressed': String(!!current && n.id === current.id), dataset: {node: n.id},
    onclick: () => { chosen = n.id; rerender(); }},
  `Node ${n.id}`, n.self ? ' (this)' : '', n.status && n.status.publishing ? ' · leader' : '',
  n.reachable ? '' : ' · unreachable')));
}

// Gateways of the node grouped by type ({type: [g...]}), by priority.
function grouped(gws) {
  const groups = new Map();
  for (const g of [...gws].sort((a, b) => a.priority - b.priority || a.account.localeCompare(b.account))) {
    const type = (accountOf(g.account) || {}).gateway_type || 'unknown type';
    if (!groups.has(type)) groups.set(type, []);
    groups.get(type).push(g);
  }
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}

export default {
  title: 'Gateways',
  mount(main) {
    const cards = new Map();
    const picker = h('div', {class: 'segmented', role: 'group', 'aria-label': 'Node', id: 'node-picker'});
    const body = h('div', {id: 'gw-groups'});
    let layout = '';

    const render = () => {
      nodePicker(picker, render);
      const n = shownNode();
      if (!n) return fill(body, h('p', {class: 'muted'}, 'Waiting for the first status…'));
      if (!n.reachable) {
        layout = '';
        return fill(body, h('p', {class: 'banner-inline bad'}, `Node ${n.id} is unreachable: ${n.error || 'no answer'}`));
      }
      const gws = n.status.gateways || [];
      if (!gws.length) {
        layout = '';
        return fill(body, h('p', {class: 'muted'}, n.status.witness ? `Node ${n.id} is a witness: it runs no gateways.`
          : `Node ${n.id} runs no gateways.`));
      }
      const groups = grouped(gws);
      for (const g of gws) {
        if (!cards.has(g.account)) cards.set(g.account, new Card(g.account));
        cards.get(g.account).update(n, g);
      }
      const want = `${n.id}|${groups.map(([t, l]) => `${t}:${l.map((g) => g.account)}`).join(';')}`;
      if (want === layout) return;
      layout = want; // (re)place the cards only when the grouping changed
      fill(body, groups.map(([type, list]) => h('section', {class: 'gw-group', dataset: {type}},
        h('h2', {}, type, h('span', {class: 'muted'}, ` · ${list.length} gateway${list.length > 1 ? 's' : ''}`)),
        h('div', {class: 'cards'}, list.map((g) => cards.get(g.account).el)))));
    };

    fill(main,
      h('div', {class: 'toolbar'}, picker,
        h('span', {class: 'muted small'}, 'Every node runs every enabled account\'s gateway; choose whose to see. ',
          'Start and Stop act on every node; Hard restart on the node shown.')),
      body);
    render();
    if (!live.accounts) refreshAccounts();
    const offs = [on('view', render), on('accounts', render)];
    return () => offs.forEach((off) => off());
  },
};
