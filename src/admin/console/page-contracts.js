// Contracts: every subscribed contract with its active source, pin and
// the source's last tick; failover (to an account: selected contracts,
// prefixes or all) and failback, each previewed as a dry run before it is
// executed; pause / resume; subscribe / unsubscribe.
import {get, send} from './api.js';
import {ago, badge, confirmDialog, fill, h, int, stateBadge, toast, withProgress} from './lib.js';
import {leaderNode, live, on, refreshAccounts, sourceOf} from './live.js';

const REFRESH_MS = 5000; // contracts re-read while the page is open

function planView(plan) {
  const moved = plan.contracts_moved;
  const head = plan.dry_run
    ? `Dry run: ${moved} contract${moved === 1 ? '' : 's'} would move. Nothing has changed.`
    : `Executed: ${moved} contract${moved === 1 ? '' : 's'} moved.`;
  return h('div', {class: `plan ${plan.dry_run ? 'dry' : 'done'}`, dataset: {moved, dry: plan.dry_run}},
    h('p', {class: 'plan-head'}, h('strong', {}, head)),
    plan.groups.length ? h('div', {class: 'table-wrap'}, h('table', {class: 'grid small'},
      h('thead', {}, h('tr', {}, ['From', 'To', 'Kind', 'Trigger', 'Hold', 'Contracts'].map((t) => h('th', {scope: 'col'}, t)))),
      h('tbody', {}, plan.groups.map((g) => h('tr', {},
        h('td', {}, g.from || '—'), h('td', {}, g.to || '—'), h('td', {}, g.kind), h('td', {}, g.trigger || '—'),
        h('td', {}, g.hold || '—'), h('td', {class: 'mono'}, g.contracts.join(', '))))))) : null,
    plan.rejects.length ? h('ul', {class: 'rejects'}, plan.rejects.map((r) =>
      h('li', {}, badge('not moved', 'warn'), ` ${r.item}: ${r.reason}`))) : null);
}

// A scope chooser: selected contracts, prefixes, or all.
function scopeControl(prefix) {
  const sel = h('select', {id: `${prefix}-scope`, 'aria-label': 'Which contracts'},
    h('option', {value: 'selected'}, 'Selected contracts'),
    h('option', {value: 'prefixes'}, 'Contracts starting with…'),
    h('option', {value: 'all'}, 'All contracts'));
  const prefixes = h('input', {type: 'text', id: `${prefix}-prefixes`, placeholder: 'rb, cu2601', hidden: true,
    'aria-label': 'Prefixes, separated by commas or spaces'});
  sel.addEventListener('change', () => { prefixes.hidden = sel.value !== 'prefixes'; });
  return {sel, prefixes};
}

// The request fields of a scope, or throws when it selects nothing.
function scopeFields(scope, selected) {
  if (scope.sel.value === 'all') return {all: true};
  const list = scope.sel.value === 'selected' ? [...selected]
    : scope.prefixes.value.split(/[\s,]+/).filter(Boolean);
  if (!list.length) throw new Error(scope.sel.value === 'selected' ? 'Select contracts in the table first'
    : 'Give at least one prefix');
  return {prefixes: list};
}

export default {
  title: 'Contracts',
  mount(main) {
    let contracts = [];
    const selected = new Set();
    const filter = h('input', {type: 'search', id: 'ct-filter', placeholder: 'Filter contracts', 'aria-label': 'Filter contracts'});
    const tbody = h('tbody', {});
    const allBox = h('input', {type: 'checkbox', id: 'ct-all', 'aria-label': 'Select all shown'});
    const selCount = h('span', {class: 'muted', id: 'ct-selected'});
    const planBox = h('div', {id: 'plan', 'aria-live': 'polite'});
    const pauseState = h('span', {id: 'pause-state'});
    const pauseBtn = h('button', {type: 'button', class: 'btn', id: 'pause-btn', dataset: {note: 'pause-note'}});
    const foTo = h('select', {id: 'fo-to', 'aria-label': 'Target account'});
    const foForce = h('input', {type: 'checkbox', id: 'fo-force'});
    const foScope = scopeControl('fo');
    const fbScope = scopeControl('fb');
    fbScope.sel.querySelector('option[value=all]').textContent = 'All contracts (their best source)';
    const subInput = h('input', {type: 'text', id: 'sub-symbols', placeholder: 'rb2605.SHFE, m2605.DCE',
      'aria-label': 'Symbols to subscribe'});

    const shown = () => {
      const t = filter.value.trim().toLowerCase();
      return contracts.filter((c) => !t || c.symbol.toLowerCase().includes(t) ||
        (c.source || '').toLowerCase().includes(t));
    };

    // The cells that change with every status, by symbol: updated in
    // place, so focus and selection survive the live updates.
    let liveCells = [];

    const updateLive = () => {
      for (const {c, state, tick} of liveCells) {
        const sv = c.source ? sourceOf(live.view, c.source) : null;
        fill(state, sv ? stateBadge(sv.state) : null);
        fill(tick, sv ? ago(sv.last_tick_age_ms) : '—');
      }
    };

    const renderTable = () => {
      const rows = shown();
      liveCells = [];
      fill(tbody, rows.map((c) => {
        const box = h('input', {type: 'checkbox', checked: selected.has(c.symbol), 'aria-label': `Select ${c.symbol}`,
          onchange: (e) => { (e.target.checked ? selected.add(c.symbol) : selected.delete(c.symbol)); renderCount(); }});
        const state = h('span', {});
        const tick = h('td', {});
        liveCells.push({c, state, tick});
        return h('tr', {dataset: {symbol: c.symbol, source: c.source || ''}},
          h('td', {class: 'check'}, box),
          h('th', {scope: 'row', class: 'mono'}, c.symbol),
          h('td', {}, c.exchange),
          h('td', {class: 'source'}, c.source ? [h('span', {class: 'mono'}, c.source), ' ', state]
            : badge('no source', 'bad')),
          h('td', {}, c.pinned ? badge('pinned', 'info', 'a manual failover put it there: no automatic failback') : '—'),
          tick);
      }));
      if (!rows.length) tbody.append(h('tr', {}, h('td', {colspan: 6, class: 'muted empty'}, 'No contracts match.')));
      allBox.checked = rows.length > 0 && rows.every((c) => selected.has(c.symbol));
      updateLive();
      renderCount();
    };

    const renderCount = () => fill(selCount, `${selected.size} selected of ${int(contracts.length)}`);

    let toOptions = '';
    const renderControls = () => {
      const lead = leaderNode();
      const paused = !!(lead && lead.status && lead.status.paused);
      fill(pauseState, badge(paused ? 'Paused' : 'Automatic', paused ? 'warn' : 'ok'));
      pauseBtn.textContent = paused ? 'Resume automatic failover' : 'Pause automatic failover';
      pauseBtn.dataset.label = pauseBtn.textContent;
      pauseBtn.dataset.paused = String(paused);
      const accts = [...(live.accounts || [])].sort((a, b) => a.priority - b.priority);
      const opts = accts.map((a) => {
        const sv = sourceOf(live.view, a.id);
        return [a.id, `${a.id} (priority ${a.priority}${sv && sv.state ? `, ${sv.state}` : ''})`];
      });
      const sig = JSON.stringify(opts);
      if (sig === toOptions) return; // unchanged: leave the open list alone
      toOptions = sig;
      const keep = foTo.value;
      fill(foTo, opts.map(([v, label]) => h('option', {value: v}, label)));
      if (keep) foTo.value = keep;
    };

    const load = async () => {
      try {
        contracts = (await get('/api/contracts')).contracts;
        for (const s of [...selected]) if (!contracts.some((c) => c.symbol === s)) selected.delete(s);
        renderTable();
      } catch (err) {
        fill(tbody, h('tr', {}, h('td', {colspan: 6, class: 'bad'}, `Cannot read the contracts: ${err.message}`)));
      }
    };

    // Preview, then execute: the execute button runs exactly the request
    // that was previewed.
    let previewed = null;
    const execBtn = (id) => h('button', {type: 'button', class: 'btn danger', id, disabled: true,
      dataset: {note: `${id}-note`}}, 'Execute');
    const foExec = execBtn('fo-execute');
    const fbExec = execBtn('fb-execute');

    // A refused request (an empty scope here, or the API's 4xx) leaves
    // no plan shown and nothing to execute: only the error, by the button.
    const preview = async (kind, button) => {
      previewed = null;
      foExec.disabled = fbExec.disabled = true;
      fill(planBox);
      const plan = await withProgress(button, 'Planning…', () => {
        const req = kind === 'failover'
          ? {to: foTo.value, ...scopeFields(foScope, selected), force: foForce.checked}
          : (fbScope.sel.value === 'all' ? {} : {prefixes: scopeFields(fbScope, selected).prefixes});
        return send('POST', `/api/${kind}`, {...req, dry_run: true}).then((p) => ({req, p}));
      }, 'Plan below');
      if (!plan) return;
      fill(planBox, planView(plan.p));
      previewed = {kind, req: plan.req, moved: plan.p.contracts_moved};
      (kind === 'failover' ? foExec : fbExec).disabled = plan.p.contracts_moved === 0;
    };

    const execute = async (kind, button) => {
      if (!previewed || previewed.kind !== kind) return;
      const {req, moved} = previewed;
      const what = kind === 'failover' ? `Move ${moved} contract(s) to ${req.to}?` : `Fail back ${moved} contract(s)?`;
      if (!(await confirmDialog({title: what, confirm: 'Execute', danger: true,
        body: h('p', {}, kind === 'failover' ? 'They are pinned there: no automatic failback until you fail back.'
          : 'Each goes back to its best HEALTHY source and loses its pin.')})))
        return;
      const plan = await withProgress(button, 'Executing…', () => send('POST', `/api/${kind}`, req), 'Executed');
      if (!plan) return;
      fill(planBox, planView(plan));
      previewed = null;
      button.disabled = true;
      toast(`${kind}: ${plan.contracts_moved} contract(s) moved`);
      load();
    };

    const fo = h('section', {class: 'panel form-panel', 'aria-labelledby': 'fo-title'},
      h('h2', {id: 'fo-title'}, 'Fail over'),
      h('div', {class: 'form-row'}, h('label', {for: 'fo-scope'}, 'Contracts'), foScope.sel, foScope.prefixes),
      h('div', {class: 'form-row'}, h('label', {for: 'fo-to'}, 'To account'), foTo),
      h('div', {class: 'form-row'}, h('label', {class: 'check-label'}, foForce, ' Force (the target need not be HEALTHY)')),
      h('div', {class: 'form-actions'},
        h('button', {type: 'button', class: 'btn primary', id: 'fo-preview', dataset: {note: 'fo-preview-note'},
          onclick: (e) => preview('failover', e.currentTarget)}, 'Preview (dry run)'),
        foExec, h('span', {class: 'note', id: 'fo-preview-note'}), h('span', {class: 'note', id: 'fo-execute-note'})));
    foExec.addEventListener('click', (e) => execute('failover', e.currentTarget));
    const fb = h('section', {class: 'panel form-panel', 'aria-labelledby': 'fb-title'},
      h('h2', {id: 'fb-title'}, 'Fail back'),
      h('div', {class: 'form-row'}, h('label', {for: 'fb-scope'}, 'Contracts'), fbScope.sel, fbScope.prefixes),
      h('p', {class: 'muted small'}, 'Back to the best HEALTHY source by priority; removes their pins.'),
      h('div', {class: 'form-actions'},
        h('button', {type: 'button', class: 'btn primary', id: 'fb-preview', dataset: {note: 'fb-preview-note'},
          onclick: (e) => preview('failback', e.currentTarget)}, 'Preview (dry run)'),
        fbExec, h('span', {class: 'note', id: 'fb-preview-note'}), h('span', {class: 'note', id: 'fb-execute-note'})));
    fbExec.addEventListener('click', (e) => execute('failback', e.currentTarget));
    [foTo, foForce, foScope.sel, foScope.prefixes, fbScope.sel, fbScope.prefixes].forEach((el) =>
      el.addEventListener('change', () => { previewed = null; foExec.disabled = fbExec.disabled = true; }));

    // pauseBtn, not e.currentTarget: after the confirmation's await the
    // event is dispatched and its currentTarget is null.
    pauseBtn.addEventListener('click', async () => {
      const paused = pauseBtn.dataset.paused === 'true';
      if (!paused && !(await confirmDialog({title: 'Pause automatic failover?', confirm: 'Pause',
        body: h('p', {}, 'Health is still watched, but nothing moves automatically until you resume. ' +
          'Manual failover and failback still work.')})))
        return;
      const r = await withProgress(pauseBtn, paused ? 'Resuming…' : 'Pausing…',
        () => send('POST', paused ? '/api/resume' : '/api/pause', {}), paused ? 'Resumed' : 'Paused');
      if (r) toast(paused ? 'Automatic failover resumed' : 'Automatic failover paused');
    });

    // Nothing to send: the reason by the button (where the last outcome
    // was), as a refusal from the API would be.
    const refuse = (button, why) => withProgress(button, '', () => { throw new Error(why); });
    const subscribe = async (button) => {
      const symbols = subInput.value.split(/[\s,]+/).filter(Boolean);
      if (!symbols.length) return refuse(button, 'Give symbols as SYMBOL.EXCHANGE');
      const r = await withProgress(button, 'Subscribing…', () => send('POST', '/api/subscriptions', {symbols}), 'Subscribed');
      if (r) { subInput.value = ''; load(); }
    };
    const unsubscribe = async (button) => {
      const symbols = [...selected];
      if (!symbols.length) return refuse(button, 'Select contracts in the table first');
      if (!(await confirmDialog({title: `Unsubscribe ${symbols.length} contract(s)?`, confirm: 'Unsubscribe', danger: true,
        body: h('p', {class: 'mono'}, symbols.slice(0, 20).join(', ') + (symbols.length > 20 ? ' …' : ''))})))
        return;
      const r = await withProgress(button, 'Unsubscribing…', () => send('DELETE', '/api/subscriptions', {symbols}), 'Unsubscribed');
      if (r) { symbols.forEach((s) => selected.delete(s)); load(); }
    };

    allBox.addEventListener('change', () => {
      shown().forEach((c) => (allBox.checked ? selected.add(c.symbol) : selected.delete(c.symbol)));
      renderTable();
    });
    filter.addEventListener('input', renderTable);

    fill(main,
      h('section', {class: 'panel'},
        h('div', {class: 'toolbar'}, h('strong', {}, 'Automatic failover: '), pauseState, pauseBtn,
          h('span', {class: 'note', id: 'pause-note'}))),
      h('div', {class: 'cols'}, fo, fb),
      planBox,
      h('section', {class: 'panel'},
        h('div', {class: 'toolbar'}, filter, selCount,
          h('span', {class: 'spacer'}),
          subInput,
          h('button', {type: 'button', class: 'btn', id: 'sub-add', dataset: {note: 'sub-note'},
            onclick: (e) => subscribe(e.currentTarget)}, 'Subscribe'),
          h('button', {type: 'button', class: 'btn danger-outline', id: 'sub-remove', dataset: {note: 'sub-note'},
            onclick: (e) => unsubscribe(e.currentTarget)}, 'Unsubscribe selected'),
          h('span', {class: 'note', id: 'sub-note'})),
        h('div', {class: 'table-wrap'},
          h('table', {class: 'grid', id: 'contracts-table'},
            h('thead', {}, h('tr', {}, h('th', {class: 'check'}, allBox),
              ['Contract', 'Exchange', 'Active source', 'Pin', 'Source last tick'].map((t) => h('th', {scope: 'col'}, t)))),
            tbody))));
    renderControls();
    load();
    if (!live.accounts) refreshAccounts();
    const timer = setInterval(load, REFRESH_MS);
    const offs = [
      on('view', () => { renderControls(); updateLive(); }),
      on('accounts', renderControls),
      on('event', (ev) => { if (/failover|failback|initial|no_healthy/.test(ev.event_type)) load(); }),
    ];
    return () => { clearInterval(timer); offs.forEach((off) => off()); };
  },
};
