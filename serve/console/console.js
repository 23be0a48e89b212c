// SPDX-License-Identifier: Apache-2.0
// serve/console/console.js — the operator console (spec/http.md "The console"). Plain
// JavaScript, no framework, no build step. It reads the ledger through the same MCP endpoint an
// agent uses (/mcp: resources/read of workledger:// resources, tools/call of
// workledger_approval_decide) with the operator token in the Authorization header. The token
// lives in sessionStorage (this tab), never in a cookie. Every text from the ledger is put in
// the page with textContent, never as HTML.
'use strict';

(function () {
  const TOKEN_KEY = 'workledger.console.token';
  const POLL_MS = 2000;
  let nextId = 1;
  let runsCache = [];
  let seenApprovals = new Set();
  let receiptUrl = null;

  const $ = (id) => document.getElementById(id);
  const el = (tag, attrs, ...kids) => {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v);
    }
    for (const k of kids) e.append(k instanceof Node ? k : document.createTextNode(String(k)));
    return e;
  };
  const token = () => sessionStorage.getItem(TOKEN_KEY);
  const say = (msg) => { $('status').textContent = msg; };

  class McpError extends Error {
    constructor(msg, status) { super(msg); this.status = status; }
  }

  async function rpc(method, params) {
    const res = await fetch('/mcp', {
      method: 'POST',
      credentials: 'omit',
      headers: {
        'Content-Type': 'application/json',
        'Accept': 'application/json, text/event-stream',
        'Authorization': 'Bearer ' + token(),
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params }),
    });
    const text = await res.text();
    let msg = null;
    if ((res.headers.get('Content-Type') || '').startsWith('text/event-stream')) {
      const lines = text.split('\n').filter((l) => l.startsWith('data: '));
      for (const l of lines) {
        const m = JSON.parse(l.slice(6));
        if (m.id !== undefined) msg = m;
      }
    } else if (text) {
      msg = JSON.parse(text);
    }
    if (res.status === 401 || res.status === 403) throw new McpError('not signed in: ' + (msg && msg.error ? msg.error.message : res.status), res.status);
    if (!msg) throw new McpError('no answer (HTTP ' + res.status + ')', res.status);
    if (msg.error) throw new McpError(msg.error.message, res.status);
    return msg.result;
  }

  async function read(uri) {
    const r = await rpc('resources/read', { uri });
    return JSON.parse(r.contents[0].text);
  }

  async function readText(uri) {
    const r = await rpc('resources/read', { uri });
    return r.contents[0].text;
  }

  function fail(e) {
    if (e instanceof McpError && (e.status === 401 || e.status === 403)) {
      signOut('Your token was refused; sign in again.');
      return;
    }
    say('Error: ' + e.message);
  }

  // ---- sign in ------------------------------------------------------------------------------

  async function signIn(ev) {
    ev.preventDefault();
    const t = $('token').value.trim();
    $('signin-error').textContent = '';
    if (!t) return;
    sessionStorage.setItem(TOKEN_KEY, t);
    try {
      await read('workledger://approvals');
    } catch (e) {
      sessionStorage.removeItem(TOKEN_KEY);
      $('signin-error').textContent = e.status === 401 ? 'This token is not valid.' : 'This token cannot approve: ' + e.message;
      return;
    }
    $('token').value = '';
    $('nav').hidden = false;
    if (!location.hash || location.hash === '#signin') location.hash = '#approvals';
    else route();
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    $('nav').hidden = true;
    show('signin');
    say(message || 'Signed out.');
  }

  // ---- pages --------------------------------------------------------------------------------

  const PAGES = ['signin', 'approvals', 'runs', 'receipts', 'health'];
  function show(page) {
    for (const p of PAGES) $('page-' + p).hidden = p !== page;
    for (const a of document.querySelectorAll('#nav a')) {
      if (a.dataset.page === page) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    document.title = 'workledger console — ' + page;
  }

  function route() {
    if (!token()) { show('signin'); return; }
    $('nav').hidden = false;
    const page = (location.hash || '#approvals').slice(1).split('/')[0];
    const arg = decodeURIComponent((location.hash.split('/')[1]) || '');
    const p = PAGES.includes(page) && page !== 'signin' ? page : 'approvals';
    show(p);
    if (p === 'approvals') loadApprovals().catch(fail);
    if (p === 'runs') loadRuns(arg).catch(fail);
    if (p === 'receipts') loadReceipts(arg).catch(fail);
    if (p === 'health') loadHealth().catch(fail);
  }

  // ---- approvals ----------------------------------------------------------------------------

  function age(iso) {
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.round(s / 60) + ' min';
    return Math.round(s / 3600) + ' h';
  }

  async function decide(a, verdict, reasonInput, card) {
    const args = { approval_id: a.approval_id, verdict };
    if (verdict === 'deny') {
      const reason = reasonInput.value.trim();
      if (!reason) { reasonInput.focus(); say('A denial needs a reason.'); return; }
      args.reason = reason;
    }
    for (const b of card.querySelectorAll('button')) b.disabled = true;
    try {
      const r = await rpc('tools/call', { name: 'workledger_approval_decide', arguments: args });
      if (r.isError) throw new McpError(r.content[0].text);
      const d = r.structuredContent;
      card.replaceChildren(el('p', { class: 'done' }, (d.status === 'approved' ? 'Approved ' : 'Denied ') + a.approval_id +
        ' (' + a.tool + '): signed ApprovalDecision ' + d.decision.signature.slice(0, 16) + '…'));
      card.dataset.resolved = d.status;
      say((d.status === 'approved' ? 'Approved ' : 'Denied ') + a.approval_id + '.');
    } catch (e) {
      for (const b of card.querySelectorAll('button')) b.disabled = false;
      fail(e);
    }
  }

  function approvalCard(a) {
    const id = 'reason-' + a.approval_id;
    const reason = el('input', { id, type: 'text', maxlength: '1000', placeholder: 'required to deny' });
    const card = el('li', { class: 'card', 'data-approval': a.approval_id });
    card.append(
      el('h3', {}, a.tool, ' ', el('span', { class: 'risk risk' + a.risk }, 'R' + a.risk)),
      el('dl', { class: 'facts' },
        el('dt', {}, 'Caller'), el('dd', {}, a.caller || '-'),
        el('dt', {}, 'Waiting'), el('dd', {}, age(a.created_at)),
        el('dt', {}, 'Approval'), el('dd', { class: 'mono' }, a.approval_id)),
      el('pre', { class: 'args', 'aria-label': 'Arguments (secrets redacted)' }, JSON.stringify(a.arguments, null, 2)),
      el('div', { class: 'actions' },
        el('button', { type: 'button', class: 'approve', onclick: () => decide(a, 'approve', reason, card) }, 'Approve'),
        el('label', { for: id }, 'Reason'), reason,
        el('button', { type: 'button', class: 'deny', onclick: () => decide(a, 'deny', reason, card) }, 'Deny')));
    return card;
  }

  async function loadApprovals() {
    const d = await read('workledger://approvals');
    const list = $('approvals-list');
    const ids = new Set(d.pending.map((a) => a.approval_id));
    for (const li of [...list.children]) if (!ids.has(li.dataset.approval) && !li.dataset.resolved) li.remove();
    let fresh = 0;
    for (const a of d.pending) {
      if (list.querySelector('[data-approval="' + CSS.escape(a.approval_id) + '"]')) continue;
      list.append(approvalCard(a));
      if (!seenApprovals.has(a.approval_id)) fresh++;
      seenApprovals.add(a.approval_id);
    }
    $('approvals-empty').hidden = list.children.length > 0;
    $('pending-count').textContent = d.pending.length ? String(d.pending.length) : '';
    if (fresh) say(fresh + ' new approval' + (fresh > 1 ? 's' : '') + ' waiting.');
  }

  // ---- runs ---------------------------------------------------------------------------------

  function renderRuns() {
    const work = $('f-work').value.trim().toLowerCase();
    const outcome = $('f-outcome').value;
    const since = $('f-since').value;
    const body = $('runs-table').tBodies[0];
    body.replaceChildren();
    for (const r of runsCache) {
      const oc = r.status === 'open' ? 'open' : (r.outcome_status || r.status);
      if (work && !(r.work_id || '').toLowerCase().includes(work)) continue;
      if (outcome && oc !== outcome) continue;
      if (since && r.started_at < since) continue;
      body.append(el('tr', {},
        el('td', {}, el('a', { href: '#runs/' + encodeURIComponent(r.run_id) }, r.run_id)),
        el('td', {}, r.work_id || '-'), el('td', {}, oc), el('td', {}, r.started_at),
        el('td', {}, String(r.event_count))));
    }
  }

  async function loadRuns(runId) {
    const d = await read('workledger://runs');
    runsCache = d.items;
    renderRuns();
    $('run-detail').hidden = !runId;
    if (runId) await loadRun(runId);
  }

  async function loadRun(runId) {
    const base = 'workledger://runs/' + runId;
    const [run, events] = await Promise.all([read(base), read(base + '/events')]);
    $('run-h').textContent = 'Run ' + run.run_id + ' — ' + (run.work_id || '') + ' (' + (run.outcome_status || run.status) + ')';
    const body = $('events-table').tBodies[0];
    body.replaceChildren();
    for (const e of events) {
      body.append(el('tr', {}, el('td', {}, String(e.seq)), el('td', {}, e.event_kind), el('td', {}, e.occurred_at),
        el('td', { class: 'mono' }, e.payload_hash), el('td', { class: 'mono' }, e.event_id)));
    }
    const link = $('receipt-download');
    if (receiptUrl) URL.revokeObjectURL(receiptUrl);
    receiptUrl = null;
    link.hidden = true;
    if (run.status !== 'open') {
      const text = await readText(base + '/receipt');
      receiptUrl = URL.createObjectURL(new Blob([text], { type: 'application/json' }));
      link.href = receiptUrl;
      link.download = 'work-receipt-' + run.run_id + '.json';
      link.hidden = false;
    }
    $('run-h').focus();
  }

  // ---- receipts -----------------------------------------------------------------------------

  function fmtMs(ms) { return typeof ms === 'number' ? new Date(ms).toISOString() : '-'; }

  function treeNode(n) {
    const badge = n.verified
      ? el('span', { class: 'badge ok' }, 'verified')
      : el('span', { class: 'badge bad' }, 'not verified');
    const li = el('li', { class: 'node', 'data-verified': String(n.verified), 'data-path': n.path },
      el('div', { class: 'node-head' }, badge, ' ', el('strong', {}, n.status || '?'), ' ',
        el('span', { class: 'mono' }, (n.motebit_id || '').slice(0, 24))),
      el('dl', { class: 'facts small' },
        el('dt', {}, 'Key'), el('dd', { class: 'mono' }, (n.public_key || '-').slice(0, 16) + '…'),
        el('dt', {}, 'Task'), el('dd', { class: 'mono' }, n.task_id || '-'),
        el('dt', {}, 'Submitted'), el('dd', {}, fmtMs(n.submitted_at)),
        el('dt', {}, 'Completed'), el('dd', {}, fmtMs(n.completed_at))));
    if (!n.verified && n.reasons && n.reasons.length) li.append(el('p', { class: 'error' }, n.reasons.join('; ')));
    if (n.children && n.children.length) {
      const ul = el('ul', { class: 'tree' });
      for (const c of n.children) ul.append(treeNode(c));
      li.append(ul);
    }
    return li;
  }

  async function loadReceipts(id) {
    const d = await read('workledger://receipts');
    const list = $('receipts-list');
    list.replaceChildren();
    for (const r of d.receipts) {
      list.append(el('li', {}, el('a', { href: '#receipts/' + encodeURIComponent(r.receipt_id) }, r.receipt_id),
        ' ', r.status || '', ' ', el('span', { class: 'muted' }, r.created_at)));
    }
    if (!d.receipts.length) list.append(el('li', { class: 'empty' }, 'No execution receipt yet.'));
    $('tree').hidden = !id;
    if (!id) return;
    const t = await read('workledger://receipts/' + id + '/tree');
    $('tree-h').textContent = 'Receipt ' + t.receipt_id;
    $('tree-summary').textContent = t.verified_nodes + ' of ' + t.nodes + ' nodes verified';
    $('tree-root').replaceChildren(treeNode(t.root));
    $('tree-h').focus();
  }

  // ---- health -------------------------------------------------------------------------------

  function bytes(n) {
    if (n < 1024) return n + ' B';
    if (n < 1048576) return (n / 1024).toFixed(1) + ' KiB';
    return (n / 1048576).toFixed(1) + ' MiB';
  }

  async function loadHealth() {
    const h = await read('workledger://health');
    const rows = [
      ['Node', h.motebit_id], ['Store engine', h.store.engine], ['Store', h.store.ok ? 'ok' : h.store.reason],
      ['Store size', bytes(h.store.size_bytes)], ['WAL', bytes(h.store.wal_bytes)],
      ['Calls in the last minute', String(h.calls_last_minute)],
      ['Auth failures in the last hour', String(h.auth_failures_last_hour)], ['As of', h.at]];
    $('health-list').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }

  // ---- start --------------------------------------------------------------------------------

  function poll() {
    if (!token()) return;
    const page = (location.hash || '#approvals').slice(1).split('/')[0];
    read('workledger://approvals').then((d) => {
      $('pending-count').textContent = d.pending.length ? String(d.pending.length) : '';
      if (page === 'approvals' || page === '') return loadApprovals();
      return null;
    }).catch(fail);
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('signin-form').addEventListener('submit', signIn);
    $('signout').addEventListener('click', () => signOut());
    for (const id of ['f-work', 'f-outcome', 'f-since']) $(id).addEventListener('input', renderRuns);
    $('runs-filter').addEventListener('submit', (e) => e.preventDefault());
    window.addEventListener('hashchange', route);
    setInterval(poll, POLL_MS);
    route();
  });
})();
