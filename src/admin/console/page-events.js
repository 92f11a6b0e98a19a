// Events: the replicated history (docs/failover.md, "Events"), live,
// newest first, filtered by type, account and text; each one expands to
// its JSON.
import {badge, fill, h} from './lib.js';
import {live, on} from './live.js';

const SHOWN_MAX = 500; // events listed at once

// The accounts an event names.
function accountsOf(ev) {
  return [ev.gateway_id, ev.failed_gateway_id, ev.backup_gateway_id].filter(Boolean);
}

// One line saying what happened.
export function eventSummary(ev) {
  const m = ev.metadata || {};
  const n = (ev.affected_contracts || []).length;
  switch (ev.event_type) {
  case 'gateway_state_changed':
    return `${ev.gateway_id} on node ${ev.node}: ${ev.from} → ${ev.to} (${ev.health_trigger})`;
  case 'gateway_restarted':
    return `${ev.gateway_id} on node ${ev.node}: hard restart (${ev.reason})`;
  case 'gateway_held':
    return `${ev.gateway_id} on node ${ev.node}: held, not restarted (${ev.detail || 'gateway error'})`;
  case 'leader_elected':
    return `node ${ev.node} leads in term ${ev.term}` +
      (ev.previous_leader == null ? ' (no leader known before)'
        : ev.previous_leader === ev.node ? ' again' : ` (was node ${ev.previous_leader})`);
  default:
    if ('backup_gateway_id' in ev) {
      return `${ev.failed_gateway_id || '—'} → ${ev.backup_gateway_id || 'nobody'}: ` +
        `${n} contract${n === 1 ? '' : 's'}${m.health_trigger ? ` (${m.health_trigger})` : ''}`;
    }
    return Object.entries(ev)
      .filter(([k]) => !['seq', 'event_type', 'timestamp'].includes(k))
      .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' ');
  }
}

export function eventClass(ev) {
  if (ev.severity === 'critical') return 'ev-critical';
  if (ev.event_type === 'gateway_state_changed')
    return ev.to === 'HEALTHY' ? 'ev-ok' : ev.to === 'STOPPED' ? '' : 'ev-warn';
  return '';
}

function options(select, values, allLabel) {
  const keep = select.value;
  fill(select, h('option', {value: ''}, allLabel), values.map((v) => h('option', {value: v}, v)));
  select.value = values.includes(keep) ? keep : '';
}

export default {
  title: 'Events',
  mount(main) {
    const open = new Set();
    const typeSel = h('select', {id: 'ev-type', 'aria-label': 'Event type'});
    const acctSel = h('select', {id: 'ev-account', 'aria-label': 'Account'});
    const text = h('input', {type: 'search', id: 'ev-text', placeholder: 'Filter text', 'aria-label': 'Filter text'});
    const count = h('span', {class: 'muted', id: 'ev-count', 'aria-live': 'polite'});
    const list = h('ol', {class: 'event-list', id: 'event-list', reversed: true});

    const refreshFilters = () => {
      options(typeSel, [...new Set(live.events.map((e) => e.event_type))].sort(), 'All types');
      const accts = new Set((live.accounts || []).map((a) => a.id));
      live.events.forEach((e) => accountsOf(e).forEach((a) => accts.add(a)));
      options(acctSel, [...accts].sort(), 'All accounts');
    };

    const matches = (ev) => {
      if (typeSel.value && ev.event_type !== typeSel.value) return false;
      if (acctSel.value && !accountsOf(ev).includes(acctSel.value)) return false;
      const t = text.value.trim().toLowerCase();
      return !t || JSON.stringify(ev).toLowerCase().includes(t);
    };

    const item = (ev) => {
      const d = h('details', {open: open.has(ev.seq), ontoggle: () =>
        (d.open ? open.add(ev.seq) : open.delete(ev.seq))},
      h('summary', {},
        h('span', {class: 'mono muted ev-time'}, (ev.timestamp || '').replace('T', ' ').replace('Z', '')),
        badge(ev.event_type, ev.severity === 'critical' ? 'bad' : 'plain'),
        h('span', {class: 'ev-text'}, eventSummary(ev))),
      h('pre', {class: 'json'}, JSON.stringify(ev, null, 2)));
      return h('li', {class: eventClass(ev), dataset: {seq: ev.seq}}, d);
    };

    const render = () => {
      const shown = live.events.filter(matches).reverse().slice(0, SHOWN_MAX);
      fill(list, shown.map(item));
      fill(count, `${shown.length} of ${live.events.length} events`);
      if (!shown.length) list.append(h('li', {class: 'muted empty'}, 'No events match.'));
    };

    [typeSel, acctSel].forEach((s) => s.addEventListener('change', render));
    text.addEventListener('input', render);
    fill(main,
      h('section', {class: 'panel'},
        h('div', {class: 'toolbar'}, typeSel, acctSel, text, count),
        h('p', {class: 'muted small'},
          'The replicated history: committed by the publishing node, the same on every node. ',
          'Newest first; select an event to see its JSON.'),
        list));
    refreshFilters();
    render();
    const offs = [
      on('event', () => { refreshFilters(); render(); }),
      on('accounts', refreshFilters),
    ];
    return () => offs.forEach((off) => off());
  },
};
