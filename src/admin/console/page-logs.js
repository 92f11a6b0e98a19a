// Logs: live log lines of the chosen node(s), filtered by level, account
// and text; ERROR lines stand out; pause, clear, export as text. This
// node's lines come with the stream; another node's are read from
// /api/logs?node=N (relayed by this node) once a second while chosen.
import {get} from './api.js';
import {download, fill, h} from './lib.js';
import {live, nodes, on, selfNode} from './live.js';

const LINES_MAX = 5000;   // lines kept in the page
const POLL_MS = 1000;     // other nodes' lines
const POLL_LIMIT = 500;   // lines per poll
const LEVELS = ['DEBUG', 'INFO', 'WARN', 'ERROR'];
const BOTTOM_SLACK_PX = 24; // "at the bottom" when this close to it

// What stays across visits of the page.
const prefs = {levels: new Set(['INFO', 'WARN', 'ERROR']), nodes: null, account: '', text: ''};

// The message without the tag it starts with ("raft: x" under tag raft
// shows "x"; "EVENT {...}" under tag event shows "{...}").
function bodyOf(l) {
  if (l.msg.startsWith(`${l.tag}: `)) return l.msg.slice(l.tag.length + 2);
  if (l.tag === 'event' && l.msg.startsWith('EVENT ')) return l.msg.slice('EVENT '.length);
  return l.msg;
}

export default {
  title: 'Logs',
  mount(main) {
    const lines = [];            // {node, seq, ts, level, tag, msg}, by time
    const polled = new Map();    // node id -> last seq read
    const cleared = new Map();   // node id -> seq up to which Clear hid lines
    const unread = new Map();    // node id -> why its lines are not read now
    let paused = false;
    let held = 0;
    const selfId = () => (selfNode() || {}).id;
    if (!prefs.nodes) prefs.nodes = new Set();

    const view = h('div', {class: 'log-view', id: 'log-view', role: 'log', 'aria-live': 'off', tabindex: '0',
      'aria-label': 'Log lines'});
    const nodeBox = h('div', {class: 'segmented', role: 'group', 'aria-label': 'Nodes', id: 'log-nodes'});
    const levelBox = h('div', {class: 'segmented', role: 'group', 'aria-label': 'Levels shown', id: 'log-levels'});
    const acctSel = h('select', {id: 'log-account', 'aria-label': 'Account'});
    const text = h('input', {type: 'search', id: 'log-text', placeholder: 'Filter text', value: prefs.text,
      'aria-label': 'Filter text'});
    const pauseBtn = h('button', {type: 'button', class: 'btn', id: 'log-pause', 'aria-pressed': 'false'}, 'Pause');
    const status = h('span', {class: 'muted small', id: 'log-status', 'aria-live': 'polite'});

    const chosen = () => {
      if (!prefs.nodes.size && selfId()) prefs.nodes.add(selfId());
      return prefs.nodes;
    };

    const matches = (l) => {
      if (!prefs.levels.has(l.level) || !chosen().has(l.node)) return false;
      if ((cleared.get(l.node) || 0) >= l.seq) return false;
      if (prefs.account && !new RegExp(`(^|[^a-z0-9_-])${prefs.account}([^a-z0-9_-]|$)`).test(`${l.tag} ${l.msg}`))
        return false;
      const t = prefs.text.toLowerCase();
      return !t || `${l.tag} ${l.msg}`.toLowerCase().includes(t);
    };

    const lineEl = (l) => h('div', {class: `log-line lvl-${l.level}`, dataset: {level: l.level, node: l.node}},
      h('span', {class: 'l-ts'}, l.ts.replace('T', ' ').replace('Z', '')),
      h('span', {class: 'l-lvl'}, l.level),
      chosen().size > 1 ? h('span', {class: 'l-node'}, `n${l.node}`) : null,
      h('span', {class: 'l-tag'}, l.tag),
      h('span', {class: 'l-msg'}, bodyOf(l)));

    const atBottom = () => view.scrollHeight - view.scrollTop - view.clientHeight < BOTTOM_SLACK_PX;

    const renderAll = () => {
      fill(view, lines.filter(matches).map(lineEl));
      view.scrollTop = view.scrollHeight;
      renderStatus();
    };

    const renderStatus = () => fill(status, paused ? `Paused: ${held} new line${held === 1 ? '' : 's'} held`
      : `${view.childElementCount} shown of ${lines.length}`,
    [...unread].filter(([id]) => chosen().has(id)).map(([id, why]) =>
      h('span', {class: 'bad', dataset: {unread: id}}, ` · Node ${id}: lines not read (${why})`)));

    // Adds lines of a node (oldest first); shows those that pass.
    const add = (node, list) => {
      const stick = atBottom();
      let resort = false;
      for (const l of list) {
        const line = {...l, node};
        if (lines.length && lines[lines.length - 1].ts > line.ts) resort = true;
        lines.push(line);
        if (paused) held++;
        else if (!resort && matches(line)) view.append(lineEl(line));
      }
      if (lines.length > LINES_MAX) lines.splice(0, lines.length - LINES_MAX);
      if (resort && !paused) {
        lines.sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : a.node - b.node || a.seq - b.seq));
        renderAll();
      }
      while (view.childElementCount > LINES_MAX) view.firstChild.remove();
      if (stick && !paused) view.scrollTop = view.scrollHeight;
      renderStatus();
    };

    // A node the view shows unreachable is not asked: each relay to it
    // would fail and log a WARN on this node, once a second.
    const poll = async () => {
      for (const id of chosen()) {
        if (id === selfId()) continue;
        const node = nodes().find((n) => n.id === id);
        if (node && !node.reachable) {
          unread.set(id, node.error || 'unreachable');
          continue;
        }
        const since = polled.get(id);
        try {
          const r = await get(`/api/logs?node=${id}&level=debug&limit=${POLL_LIMIT}${since ? `&since=${since}` : ''}`);
          unread.delete(id);
          polled.set(id, r.last_seq);
          if (since && r.last_seq < since) polled.delete(id); // it restarted
          add(id, r.lines.filter((l) => !since || l.seq > since));
        } catch (err) {
          unread.set(id, err.message); // asked again next round
        }
      }
      renderStatus();
    };

    const renderNodes = () => fill(nodeBox, nodes().map((n) => h('button', {type: 'button', class: 'seg',
      'aria-pressed': String(chosen().has(n.id)), dataset: {node: n.id}, onclick: () => {
        if (chosen().has(n.id) && chosen().size > 1) chosen().delete(n.id);
        else chosen().add(n.id);
        renderNodes();
        renderAll();
        poll();
      }}, `Node ${n.id}${n.self ? ' (this)' : ''}`)));

    const renderLevels = () => fill(levelBox, LEVELS.map((lv) => h('button', {type: 'button',
      class: `seg lvl-btn lvl-${lv}`, 'aria-pressed': String(prefs.levels.has(lv)), dataset: {level: lv},
      title: `Show ${lv} lines`, onclick: () => {
        prefs.levels.has(lv) ? prefs.levels.delete(lv) : prefs.levels.add(lv);
        renderLevels();
        renderAll();
      }}, lv)));

    const renderAccounts = () => {
      const ids = (live.accounts || []).map((a) => a.id).sort();
      fill(acctSel, h('option', {value: ''}, 'All accounts'), ids.map((id) => h('option', {value: id}, id)));
      acctSel.value = ids.includes(prefs.account) ? prefs.account : '';
    };

    acctSel.addEventListener('change', () => { prefs.account = acctSel.value; renderAll(); });
    text.addEventListener('input', () => { prefs.text = text.value.trim(); renderAll(); });
    pauseBtn.addEventListener('click', () => {
      paused = !paused;
      pauseBtn.setAttribute('aria-pressed', String(paused));
      pauseBtn.textContent = paused ? 'Resume' : 'Pause';
      held = 0;
      if (!paused) renderAll();
      renderStatus();
    });
    const clear = () => {
      for (const l of lines) cleared.set(l.node, Math.max(cleared.get(l.node) || 0, l.seq));
      renderAll();
    };
    const exportText = () => {
      const text = lines.filter(matches).map((l) => `${l.ts} ${l.level.padEnd(5)} [node ${l.node}] ${l.msg}`).join('\n');
      download(`hamd-logs-${new Date().toISOString().replace(/[:.]/g, '-')}.txt`, `${text}\n`);
    };

    fill(main,
      h('section', {class: 'panel log-panel'},
        h('div', {class: 'toolbar wrap'}, nodeBox, levelBox, acctSel, text,
          h('span', {class: 'spacer'}), pauseBtn,
          h('button', {type: 'button', class: 'btn', id: 'log-clear', onclick: clear}, 'Clear'),
          h('button', {type: 'button', class: 'btn', id: 'log-export', onclick: exportText}, 'Export'),
          status),
        view));
    renderNodes();
    renderLevels();
    renderAccounts();
    const self = selfId();
    if (self) add(self, live.logs);
    const timer = setInterval(poll, POLL_MS);
    let selfSeen = !!self;
    const offs = [
      on('log', (l) => { if (selfId()) add(selfId(), [l]); }),
      on('view', () => {
        renderNodes();
        if (!selfSeen && selfId()) { selfSeen = true; add(selfId(), live.logs); }
      }),
      on('accounts', renderAccounts),
    ];
    return () => { clearInterval(timer); offs.forEach((off) => off()); };
  },
};
