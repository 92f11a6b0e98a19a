// Overview: every node (role, term, lease, commit/applied, follow stream,
// coverage), who leads, failover mode, trading sessions, and a health
// summary of the whole cluster.
import {send} from './api.js';
import {ago, badge, clock, confirmDialog, duration, fill, h, int, toast} from './lib.js';
import {leaderNode, live, on, selfNode} from './live.js';
import {eventClass, eventSummary} from './page-events.js';

const RECENT_EVENTS = 6;

const ROLE_CLASS = {leader: 'ok', standalone: 'ok', follower: 'info', candidate: 'warn', unavailable: 'bad'};
// A STOPPED gateway was stopped on purpose (Stop, or its account
// disabled): counted apart, it degrades nothing.
const HEALTH_CLASS = {HEALTHY: 'healthy', CONNECTING: 'degraded', UNHEALTHY: 'degraded',
  RESTARTING: 'degraded', STOPPED: 'stopped'};

// Counts of gateways (over every reachable node) and the verdict.
export function healthSummary(ns) {
  const c = {healthy: 0, degraded: 0, down: 0, stopped: 0, unreachable: 0};
  for (const n of ns) {
    if (!n.reachable) {
      c.unreachable++;
      continue;
    }
    for (const g of n.status.gateways || [])
      c[HEALTH_CLASS[g.state] || 'down']++;
  }
  const publishing = ns.some((n) => n.reachable && n.status && n.status.publishing);
  const verdict = !publishing ? 'down'
    : c.degraded || c.down || c.unreachable ? 'degraded' : 'healthy';
  return {...c, verdict};
}

// "3 down", coloured only when not 0: a red "0 down" reads as trouble.
function count(n, label, cls) {
  return h('span', {class: n ? `count ${cls}` : 'count off'}, `${n} ${label}`);
}

function tile(label, value, sub, cls = '') {
  return h('section', {class: `tile ${cls}`, 'aria-label': label},
    h('div', {class: 'tile-label'}, label),
    h('div', {class: 'tile-value'}, value),
    h('div', {class: 'tile-sub'}, sub));
}

// The leader that answers, or None: never a node the table shows
// unreachable (right after it died, this node still names it).
function leaderTile(view) {
  const lead = leaderNode();
  const value = (text) => h('span', {id: 'leader-value'}, text);
  if (lead) {
    const st = lead.status;
    return st.publishing ? tile('Leader', value(`Node ${lead.id}`), `term ${st.term}, publishing`, 'ok')
      : tile('Leader', value(`Node ${lead.id}`), `term ${st.term}, not publishing: clients get no ticks`, 'down');
  }
  const named = view.nodes.find((n) => n.id === view.leader);
  return tile('Leader', value('None'), named
    ? `node ${named.id}, the last leader node ${view.node} heard of, does not answer: an election follows. ` +
      'No node publishes: clients get no ticks'
    : 'no node publishes: clients get no ticks', 'down');
}

function tiles(view) {
  const ns = view.nodes;
  const hs = healthSummary(ns);
  const ref = (leaderNode() || {}).status || (selfNode() || {}).status || {};
  const reach = ns.filter((n) => n.reachable).length;
  const verdictText = {healthy: 'Healthy', degraded: 'Degraded', down: 'Down'}[hs.verdict];
  const cov = ref.coverage;
  return h('div', {class: 'tiles'},
    tile('Cluster health', h('span', {id: 'health-verdict', class: `verdict ${hs.verdict}`}, verdictText),
      h('span', {id: 'health-counts'},
        count(hs.healthy, 'healthy', 'ok'), ' · ', count(hs.degraded, 'degraded', 'warn'), ' · ',
        count(hs.down, 'down', 'bad'),
        hs.stopped ? [' · ', count(hs.stopped, 'stopped', 'off')] : null,
        hs.unreachable ? h('span', {class: 'count bad'}, ` · ${hs.unreachable} node${hs.unreachable > 1 ? 's' : ''} unreachable`) : null),
      hs.verdict),
    leaderTile(view),
    tile('Failover', h('span', {id: 'failover-mode'}, ref.paused ? 'Paused' : 'Automatic'),
      ref.paused ? 'nothing moves automatically until resumed'
        : `${(ref.pinned || []).length} contract(s) pinned`, ref.paused ? 'degraded' : ''),
    tile('Nodes', `${reach} / ${ns.length}`, `reachable from node ${view.node}`, reach < ns.length ? 'degraded' : ''),
    tile('Contracts', int(ref.contracts), cov ? `${int(cov.covered)} covered, ${int(cov.relayed)} relayed` : 'subscribed'));
}

// The lease left as the node counted it (lease_left_ms), not against
// this browser's clock, which may be seconds off the node's; a node
// without the field (an older version) is read by its deadline.
function leaseText(st) {
  if (!st.publishing) return 'no';
  const left = st.lease_left_ms !== undefined ? st.lease_left_ms
    : st.lease_until_ms && Math.max(0, st.lease_until_ms - Date.now());
  return left === null || left === undefined ? 'yes' : `yes (lease ${duration(left)})`;
}

function coverageText(st) {
  const c = st.coverage;
  if (!c) return '—';
  const parts = [`${int(c.covered)} / ${int(c.subscribed)}`];
  if (c.relayed) parts.push(`${int(c.relayed)} relayed`);
  return parts.join(', ');
}

function gatewaysText(st) {
  const gws = st.gateways || [];
  if (st.witness) return 'witness: none';
  const ok = gws.filter((g) => g.state === 'HEALTHY').length;
  return `${ok} / ${gws.length} healthy`;
}

// A leadership transfer ordered from this page: the node it goes to
// (its button shows it is under way) and a note that keeps the outcome
// across the page's redraws (one a second).
const transfer = {node: null, note: h('span', {class: 'note', id: 'transfer-note', 'aria-live': 'polite'})};

async function transferTo(id, leaderId, rerender) {
  if (!(await confirmDialog({title: `Make node ${id} the leader?`, confirm: `Make node ${id} leader`,
    body: [h('p', {}, `Node ${leaderId} hands leadership over to node ${id}, which then publishes: `,
      'clients follow the publisher there (POST /api/transfer, as hactl transfer).'),
    h('p', {}, 'Nothing changes if node ' + id + ' cannot take it.')]})))
    return;
  transfer.node = id;
  transfer.note.className = 'note';
  fill(transfer.note);
  rerender();
  try {
    const r = await send('POST', '/api/transfer', {node: id});
    transfer.note.className = 'note ok';
    fill(transfer.note, `Node ${r.leader} leads (was node ${r.previous})`);
    toast(`Node ${r.leader} leads`);
  } catch (err) {
    transfer.note.className = 'note bad';
    fill(transfer.note, `Transfer to node ${id}: ${err.message}`);
    toast(`Transfer to node ${id}: ${err.message}`, 'bad');
  } finally {
    transfer.node = null;
    rerender();
  }
}

// "Make leader" on a voter that follows a leader that publishes.
function transferButton(n, lead, rerender) {
  const st = n.status;
  if (!lead || !lead.status.publishing || st.role !== 'follower' || st.witness) return null;
  const busy = transfer.node === n.id;
  return h('button', {type: 'button', class: 'btn small', dataset: {action: 'transfer', node: n.id},
    disabled: busy || transfer.node !== null, onclick: () => transferTo(n.id, lead.id, rerender)},
  busy ? 'Transferring…' : 'Make leader');
}

const NODE_COLUMNS = ['Node', 'Role', 'Term', 'Publishing', 'Commit / applied', 'Follow stream', 'Coverage', 'Gateways'];

function nodeRow(n, lead, rerender) {
  const leaderId = lead && lead.id;
  const who = [h('strong', {}, `Node ${n.id}`), n.self ? h('span', {class: 'muted'}, ' (this page)') : null];
  // data-label: the column's name, shown beside the value on a phone,
  // where the table becomes a card per node (app.css)
  const cell = (label, attrs, ...kids) => h('td', {...attrs, dataset: {label}}, ...kids);
  if (!n.reachable) {
    return h('tr', {class: 'row-bad', dataset: {node: n.id}},
      h('th', {scope: 'row'}, who),
      cell(NODE_COLUMNS[1], {}, badge('unreachable', 'bad')),
      cell('', {colspan: 6, class: 'muted'}, n.error || `${n.admin}: no answer`));
  }
  const st = n.status;
  return h('tr', {dataset: {node: n.id}, class: n.id === leaderId ? 'row-lead' : ''},
    h('th', {scope: 'row'}, who, h('div', {class: 'muted mono small'}, n.admin)),
    cell(NODE_COLUMNS[1], {class: 'role-cell'}, badge(st.role, ROLE_CLASS[st.role] || 'off'),
      st.witness ? badge('witness', 'off') : null, transferButton(n, lead, rerender)),
    cell(NODE_COLUMNS[2], {class: 'num'}, int(st.term)),
    cell(NODE_COLUMNS[3], {}, leaseText(st)),
    cell(NODE_COLUMNS[4], {class: 'num'}, `${int(st.commit_index)} / ${int(st.applied_index)}`),
    cell(NODE_COLUMNS[5], {}, st.follow_age_ms === null ? '—' : ago(st.follow_age_ms)),
    cell(NODE_COLUMNS[6], {}, coverageText(st)),
    cell(NODE_COLUMNS[7], {}, gatewaysText(st)));
}

function nodesTable(view, rerender) {
  const lead = leaderNode();
  return h('section', {class: 'panel'},
    h('h2', {}, 'Nodes ', transfer.note),
    h('div', {class: 'table-wrap'},
      h('table', {class: 'grid', id: 'nodes-table'},
        h('thead', {}, h('tr', {},
          NODE_COLUMNS.map((t) => h('th', {scope: 'col'}, t)))),
        h('tbody', {}, view.nodes.map((n) => nodeRow(n, lead, rerender))))));
}

const SESSION_TITLE = {
  open: 'inside a configured window: canaries are checked',
  closed: 'outside its windows: a silent canary, a front down, are normal',
  unconfigured: 'no [sessions] windows: the canary check is off, restarts as always',
};

// "SHFE closed · opens in 3 h 20 min" (the next opening, holidays counted).
function sessionChip(s) {
  const opens = s.state === 'closed' && s.next_open
    ? ` · opens in ${duration(Date.parse(s.next_open) - Date.now())}` : '';
  return h('li', {}, badge(`${s.exchange} ${s.state}${opens}`,
    s.state === 'open' ? 'ok' : 'off',
    SESSION_TITLE[s.state] + (s.next_open ? ` (next opening ${s.next_open})` : '')));
}

function sessionsPanel(view) {
  const st = ((leaderNode() || selfNode() || {}).status) || {};
  const sessions = st.sessions || [];
  return h('section', {class: 'panel'},
    h('h2', {}, 'Trading sessions'),
    sessions.length
      ? h('ul', {class: 'chips', id: 'sessions'}, sessions.map(sessionChip))
      : h('p', {class: 'muted'}, 'No [sessions] configured: the canary check is off on every exchange.'),
    h('p', {class: 'muted small'}, `As node ${view.node} sees it now, in the exchanges' time zone ([health] timezone).`));
}

function recentEvents() {
  const evs = live.events.slice(-RECENT_EVENTS).reverse();
  return h('section', {class: 'panel'},
    h('h2', {}, 'Recent events ', h('a', {href: '#/events', class: 'small'}, 'all events')),
    evs.length
      ? h('ul', {class: 'event-list compact'}, evs.map((ev) =>
        h('li', {class: eventClass(ev)},
          h('span', {class: 'mono muted'}, clock(ev.timestamp)), ' ',
          h('span', {class: 'ev-type'}, ev.event_type), ' ', eventSummary(ev))))
      : h('p', {class: 'muted'}, 'No events yet.'));
}

function render(main) {
  const view = live.view;
  if (!view) return fill(main, h('p', {class: 'muted'}, 'Waiting for the first status from this node…'));
  fill(main, tiles(view), nodesTable(view, () => render(main)),
    h('div', {class: 'cols'}, sessionsPanel(view), recentEvents()));
}

export default {
  title: 'Overview',
  mount(main) {
    render(main);
    const offs = [on('view', () => render(main)), on('event', () => render(main))];
    return () => offs.forEach((off) => off());
  },
};


