/* Brightside Appliances — agent inbox: take over conversations the assistant handed off.
 * Plain ES2020, no build step, no dependencies. Server data is only ever set with textContent. */
'use strict';

(function () {
  const KEY_STORAGE = 'supportgraph.agent_key'; // sessionStorage: this tab only
  const POLL_MS = 3000;
  const NEW_HIGHLIGHT_MS = 15000;  // how long a newly arrived handoff stays highlighted
  const RESOLVED_MEMORY_MS = 60000; // hide a handoff resolved here from polls that raced the resolve

  const PRIORITIES = ['urgent', 'high', 'normal'];
  const PRIORITY_LABELS = { urgent: 'Urgent', high: 'High', normal: 'Normal' };
  const REASONS = {
    customer_request: 'Customer asked for a person',
    negative_sentiment: 'Unhappy customer',
    out_of_scope: 'Outside what the assistant handles',
    refund_review: 'Refund needs review',
    model_escalation: 'Escalated by the assistant',
  };
  const ROLE_LABELS = { user: 'Customer', assistant: 'Assistant', agent: 'Agent' };

  // ---- Pure helpers (no DOM; exported for node) ----

  /** "emergency:gas" → "Emergency: gas", "refund_review" → "Refund needs review". */
  function reasonLabel(reason) {
    const raw = typeof reason === 'string' ? reason.trim() : '';
    if (!raw) return 'Handed off';
    if (REASONS[raw]) return REASONS[raw];
    const words = (s) => s.replace(/[_-]+/g, ' ').trim();
    const colon = raw.indexOf(':');
    if (colon !== -1) {
      const head = words(raw.slice(0, colon)), tail = words(raw.slice(colon + 1));
      const Head = head.charAt(0).toUpperCase() + head.slice(1);
      return tail ? `${Head}: ${tail}` : Head;
    }
    const text = words(raw);
    return text.charAt(0).toUpperCase() + text.slice(1);
  }

  /** Seconds → "under 1 min", "4 min", "1 h 5 min", "2 d 3 h". */
  function formatWaiting(seconds) {
    const s = Math.max(0, Math.floor(Number(seconds) || 0));
    if (s < 60) return 'under 1 min';
    const m = Math.floor(s / 60);
    if (m < 60) return `${m} min`;
    const h = Math.floor(m / 60);
    if (h < 24) return m % 60 ? `${h} h ${m % 60} min` : `${h} h`;
    const d = Math.floor(h / 24);
    return h % 24 ? `${d} d ${h % 24} h` : `${d} d`;
  }

  const normalise = (text) => String(text == null ? '' : text).replace(/\r\n?/g, '\n').trim();

  /** The action of the Send button: "edit" when a suggested reply was changed, else "respond". */
  function sendAction(suggested, text) {
    if (typeof suggested !== 'string' || !suggested.trim()) return 'respond';
    return normalise(text) !== normalise(suggested) ? 'edit' : 'respond';
  }

  const normalPriority = (p) => (PRIORITIES.includes(p) ? p : 'normal');

  /** Order totals are plain numbers in US dollars (the store's currency); strings pass through. */
  function formatMoney(total) {
    if (typeof total === 'number' && Number.isFinite(total)) {
      return new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' }).format(total);
    }
    return total == null ? '' : String(total);
  }

  /** {line1, city, state, postal_code, …} → "12 Oak St, Springfield, IL 62704". */
  function formatAddress(address) {
    if (!address || typeof address !== 'object') return '';
    const str = (v) => (v == null || typeof v === 'object' ? '' : String(v).trim());
    const known = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'];
    const region = [str(address.state), str(address.postal_code)].filter(Boolean).join(' ');
    const parts = [str(address.line1), str(address.line2), str(address.city), region, str(address.country)];
    for (const [k, v] of Object.entries(address)) {
      if (!known.includes(k) && k !== 'id' && k !== 'customer_id') parts.push(str(v));
    }
    return parts.filter(Boolean).join(', ');
  }

  /** "email,sms" or ["email", "sms"] → "Email, SMS". */
  function formatContactPreference(pref) {
    const list = Array.isArray(pref) ? pref : typeof pref === 'string' ? pref.split(',') : [];
    const names = { email: 'Email', sms: 'SMS', phone: 'Phone' };
    return list.map((p) => String(p).trim()).filter(Boolean)
      .map((p) => names[p.toLowerCase()] || p).join(', ');
  }

  if (typeof module !== 'undefined' && module.exports) {
    module.exports = { reasonLabel, formatWaiting, sendAction, formatMoney, formatAddress, formatContactPreference };
  }
  if (typeof document === 'undefined') return; // loaded by node for tests

  // ---- API ----

  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  /** Call the agent API with the bearer key; resolves to the JSON body or throws ApiError. */
  async function api(path, { method = 'GET', body, key = state.key } = {}) {
    const headers = { Accept: 'application/json', Authorization: `Bearer ${key || ''}` };
    const init = { method, headers, cache: 'no-store' };
    if (body !== undefined) {
      headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (_) {
      throw new ApiError(0, 'network_error', 'We couldn’t reach the server. Check your connection and try again.');
    }
    let data = null;
    try { data = await res.json(); } catch (_) { /* not JSON */ }
    if (!res.ok) {
      const message = (data && typeof data.message === 'string' && data.message)
        || `Something went wrong (HTTP ${res.status}). Please try again.`;
      throw new ApiError(res.status, data && typeof data.code === 'string' ? data.code : '', message);
    }
    if (!data || typeof data !== 'object') throw new ApiError(res.status, 'bad_response', 'The server sent an unexpected answer.');
    return data;
  }

  const handoffUrl = (id, tail = '') => `/v1/handoffs/${encodeURIComponent(id)}${tail}`;

  // Web storage can throw (privacy modes): never let that break the page.
  const keyStore = {
    get() { try { return sessionStorage.getItem(KEY_STORAGE); } catch (_) { return null; } },
    set(v) { try { sessionStorage.setItem(KEY_STORAGE, v); } catch (_) { /* ignore */ } },
    clear() { try { sessionStorage.removeItem(KEY_STORAGE); } catch (_) { /* ignore */ } },
  };

  // ---- State ----

  const state = {
    key: null,
    me: null,               // {name, role}
    session: 0,             // bumped on sign-in/out: answers for an older session are dropped
    handoffs: [],           // the queue as last polled, in server order
    known: null,            // ids in the previous poll (null before the first one)
    newUntil: new Map(),    // id → time until which it is highlighted as new
    resolved: new Map(),    // id → time it was resolved here
    epoch: 0,               // bumped around every claim/resolve: polls that overlap one are dropped
    pollTimer: null,
    pollFailing: false,
    templates: [],
    selectedId: null,
    detail: null,           // the selected handoff (with messages once loaded)
    detailGone: false,      // the selected handoff left the queue (resolved elsewhere)
    working: false,         // a claim/resolve request is in flight
  };

  // ---- DOM helpers ----

  const $ = (id) => document.getElementById(id);
  const els = {
    notice: $('notice'), account: $('account'), signedInAs: $('signed-in-as'), signOut: $('sign-out'),
    signInPanel: $('sign-in-panel'), signInForm: $('sign-in-form'), keyInput: $('agent-key'), signIn: $('sign-in'),
    workspace: $('workspace'), queue: $('queue'), queueHeading: $('queue-heading'), queueCount: $('queue-count'),
    queueStatus: $('queue-status'), queueEmpty: $('queue-empty'), detail: $('detail'),
  };
  let detailEls = null; // the parts of the rendered detail that change after rendering

  /** Create an element with a class and plain-text content (never HTML). */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null && text !== '') node.textContent = String(text);
    return node;
  }

  function button(className, text, id) {
    const b = el('button', className, text);
    b.type = 'button';
    if (id) b.id = id;
    return b;
  }

  const str = (v) => (v == null ? '' : String(v));
  const customerName = (h) => (h && h.customer && str(h.customer.name).trim()) || 'Anonymous customer';
  const holdsClaim = (h) => Boolean(h && state.me && h.claimed_by && h.claimed_by === state.me.name);

  function badge(priority) {
    const p = normalPriority(priority);
    return el('span', `badge badge-${p}`, PRIORITY_LABELS[p]);
  }

  let noticeTimer = null;
  /** Show a message in the #notice live region; kind is "info", "success", "error" or "urgent". */
  function notify(text, kind = 'info') {
    clearTimeout(noticeTimer);
    els.notice.dataset.kind = kind;
    els.notice.textContent = text;
    if (kind !== 'error') {
      noticeTimer = setTimeout(() => { els.notice.textContent = ''; }, kind === 'urgent' ? 20000 : 8000);
    }
  }

  // ---- Sign in / out ----

  function showSignedOut() {
    els.workspace.hidden = true;
    els.account.hidden = true;
    els.signInPanel.hidden = false;
    els.signIn.disabled = false;
    document.title = 'Agent inbox — Brightside Appliances';
  }

  /** Check a key with GET /v1/agents/me; on success keep it and open the inbox. */
  async function signIn(key, { restoring = false } = {}) {
    const session = ++state.session;
    els.signIn.disabled = true;
    els.signInForm.setAttribute('aria-busy', 'true');
    try {
      const me = await api('/v1/agents/me', { key });
      if (session !== state.session) return;
      state.key = key;
      state.me = { name: str(me.name) || 'Agent', role: str(me.role) || 'agent' };
      keyStore.set(key);
      els.keyInput.value = '';
      els.signedInAs.textContent = `Signed in as ${state.me.name} (${state.me.role})`;
      els.account.hidden = false;
      els.signInPanel.hidden = true;
      els.workspace.hidden = false;
      if (!restoring) notify(`Signed in as ${state.me.name}.`, 'success');
      if (!restoring || document.activeElement === document.body) els.queueHeading.focus();
      loadTemplates(session);
      poll();
    } catch (err) {
      if (session !== state.session) return;
      showSignedOut();
      if (err.status === 401) {
        keyStore.clear();
        notify(restoring ? 'Your saved sign-in is no longer valid. Please enter your agent key.'
          : 'That agent key wasn’t accepted. Check it and try again.', 'error');
      } else {
        notify(err.message, 'error');
      }
      if (!restoring) els.keyInput.select();
      els.keyInput.focus();
    } finally {
      if (session === state.session) els.signInForm.removeAttribute('aria-busy');
      els.signIn.disabled = false;
    }
  }

  function signOut(message, kind = 'info') {
    state.session++;
    clearTimeout(state.pollTimer);
    keyStore.clear();
    Object.assign(state, {
      key: null, me: null, handoffs: [], known: null, selectedId: null, detail: null,
      detailGone: false, working: false, templates: [], pollFailing: false,
    });
    state.newUntil.clear();
    state.resolved.clear();
    queueItems.clear();
    els.queue.replaceChildren();
    showPlaceholder('Choose a conversation from the queue to see it here.');
    showSignedOut();
    notify(message || 'Signed out.', kind);
    els.keyInput.focus();
  }

  /** A 401 while signed in: the key was revoked. Returns true when it handled the error. */
  function handleAuthError(err) {
    if (!(err instanceof ApiError) || err.status !== 401 || !state.key) return false;
    signOut('Your agent key is no longer accepted. Please sign in again.', 'error');
    return true;
  }

  async function loadTemplates(session) {
    try {
      const data = await api('/v1/handoffs/templates');
      if (session !== state.session) return;
      state.templates = (Array.isArray(data.templates) ? data.templates : [])
        .filter((t) => t && typeof t.text === 'string' && t.text.trim())
        .map((t) => ({ id: str(t.id), title: str(t.title) || t.text.slice(0, 30), text: t.text }));
      if (detailEls) renderTemplates();
    } catch (err) {
      handleAuthError(err); // otherwise: no quick replies, the rest still works
    }
  }

  // ---- Queue ----

  function schedulePoll(delay = POLL_MS) {
    clearTimeout(state.pollTimer);
    state.pollTimer = setTimeout(poll, delay);
  }

  async function poll() {
    clearTimeout(state.pollTimer);
    if (!state.key) return;
    const session = state.session, epoch = state.epoch;
    let data;
    try {
      data = await api('/v1/handoffs');
    } catch (err) {
      if (session !== state.session || handleAuthError(err)) return;
      setQueueStatus('Can’t reach the server — retrying…');
      schedulePoll();
      return;
    }
    if (session !== state.session) return;
    setQueueStatus('');
    // A claim or resolve ran meanwhile: this answer may predate it; the next poll is fresh.
    if (epoch === state.epoch && !state.working) applyQueue(data.handoffs);
    schedulePoll();
  }

  function setQueueStatus(text) {
    els.queueStatus.textContent = text;
    els.queueStatus.hidden = !text;
  }

  /** Take in a freshly polled queue: flag new items, follow the selection, redraw. */
  function applyQueue(raw) {
    const now = Date.now();
    for (const [id, at] of state.resolved) if (now - at > RESOLVED_MEMORY_MS) state.resolved.delete(id);
    const all = (Array.isArray(raw) ? raw : [])
      .filter((h) => h && typeof h === 'object' && h.id != null)
      .map((h) => ({ ...h, id: String(h.id) }));
    const polled = new Set(all.map((h) => h.id));
    for (const id of state.resolved.keys()) if (!polled.has(id)) state.resolved.delete(id); // the server agrees
    const list = all.filter((h) => !state.resolved.has(h.id));
    const ids = new Set(list.map((h) => h.id));

    const arrivedUrgent = [];
    if (state.known) {
      for (const h of list) {
        if (state.known.has(h.id)) continue;
        state.newUntil.set(h.id, now + NEW_HIGHLIGHT_MS);
        if (normalPriority(h.priority) === 'urgent') arrivedUrgent.push(h);
      }
    }
    for (const [id, until] of state.newUntil) if (until < now || !ids.has(id)) state.newUntil.delete(id);
    state.known = ids;
    state.handoffs = list;

    if (state.selectedId) {
      const current = list.find((h) => h.id === state.selectedId);
      if (current && state.detail) {
        const { messages } = state.detail;
        state.detail = { ...state.detail, ...current, messages };
      }
      state.detailGone = !current;
      updateDetail();
    }
    renderQueue();

    if (arrivedUrgent.length === 1) {
      const h = arrivedUrgent[0];
      notify(`New urgent handoff: ${reasonLabel(h.reason)} — ${customerName(h)}`, 'urgent');
    } else if (arrivedUrgent.length > 1) {
      notify(`${arrivedUrgent.length} new urgent handoffs`, 'urgent');
    }
  }

  const queueItems = new Map(); // id → <li>, reused across polls so focus and scroll stay put

  function renderQueue() {
    const focused = document.activeElement;
    const hadFocus = els.queue.contains(focused) ? focused : null;
    const focusIndex = hadFocus ? Array.from(els.queue.children).indexOf(hadFocus.closest('li')) : -1;

    const wanted = state.handoffs.map((h) => {
      let li = queueItems.get(h.id);
      if (!li) {
        li = el('li', 'queue-row');
        const b = button('handoff-item');
        b.dataset.id = h.id;
        b.addEventListener('click', () => select(h.id));
        li.appendChild(b);
        queueItems.set(h.id, li);
      }
      fillItem(li.firstElementChild, h);
      return li;
    });
    const keep = new Set(wanted);
    for (const [id, li] of queueItems) if (!keep.has(li)) { li.remove(); queueItems.delete(id); }
    const rows = els.queue.children;
    if (rows.length !== wanted.length || wanted.some((li, i) => rows[i] !== li)) {
      for (const li of wanted) els.queue.appendChild(li); // moving a node drops its focus…
    }
    if (hadFocus && hadFocus.isConnected && document.activeElement !== hadFocus) {
      hadFocus.focus({ preventScroll: true }); // …so give it back
    } else if (hadFocus && !hadFocus.isConnected) {
      const next = els.queue.children[Math.min(focusIndex, els.queue.children.length - 1)];
      (next ? next.firstElementChild : els.queueHeading).focus({ preventScroll: true });
    }

    const total = state.handoffs.length;
    const urgent = state.handoffs.filter((h) => normalPriority(h.priority) === 'urgent').length;
    els.queueEmpty.hidden = total > 0;
    els.queueCount.replaceChildren();
    if (total) {
      els.queueCount.append(`${total} waiting`);
      if (urgent) els.queueCount.append(' · ', el('strong', 'count-urgent', `${urgent} urgent`));
    }
    const prefix = total ? `(${total}${urgent ? ` · ${urgent} urgent` : ''}) ` : '';
    document.title = `${prefix}Agent inbox — Brightside Appliances`;
  }

  /** Draw one queue entry (only when something shown in it changed). */
  function fillItem(b, h) {
    const priority = normalPriority(h.priority);
    const selected = h.id === state.selectedId;
    const isNew = state.newUntil.has(h.id);
    const claim = holdsClaim(h) ? 'Claimed by you' : h.claimed_by ? `Claimed by ${h.claimed_by}` : 'Not claimed';
    const waiting = formatWaiting(h.waiting_seconds);
    const lastCustomerLine = (Array.isArray(h.summary) ? h.summary : [])
      .filter((m) => m && m.role === 'customer' && typeof m.content === 'string').map((m) => m.content).pop() || '';

    b.classList.toggle('is-selected', selected);
    b.classList.toggle('is-new', isNew);
    b.classList.toggle('is-mine', holdsClaim(h));
    b.dataset.priority = priority;
    if (selected) b.setAttribute('aria-current', 'true');
    else b.removeAttribute('aria-current');

    const signature = JSON.stringify([priority, h.reason, customerName(h), waiting, claim, lastCustomerLine, isNew]);
    if (b.dataset.signature === signature) return;
    b.dataset.signature = signature;

    const top = el('span', 'item-top');
    const wait = el('span', 'item-wait');
    wait.append(el('span', 'visually-hidden', 'waiting '), waiting);
    top.append(badge(priority), el('span', 'item-reason', reasonLabel(h.reason)), wait);
    const parts = [top, el('span', 'item-customer', customerName(h))];
    if (lastCustomerLine) parts.push(el('span', 'item-preview', lastCustomerLine));
    const bottom = el('span', 'item-bottom');
    bottom.appendChild(el('span', `item-claim${h.claimed_by ? ' is-claimed' : ''}`, claim));
    if (isNew) bottom.appendChild(el('span', 'item-new', 'New'));
    parts.push(bottom);
    b.replaceChildren(...parts);
  }

  /** Arrow keys / Home / End move between queue entries. */
  function onQueueKeydown(e) {
    const items = Array.from(els.queue.querySelectorAll('.handoff-item'));
    const index = items.indexOf(document.activeElement);
    if (index === -1) return;
    let next = null;
    if (e.key === 'ArrowDown') next = items[index + 1];
    else if (e.key === 'ArrowUp') next = items[index - 1];
    else if (e.key === 'Home') next = items[0];
    else if (e.key === 'End') next = items[items.length - 1];
    else return;
    e.preventDefault();
    if (next) next.focus();
  }

  // ---- Detail ----

  function showPlaceholder(text, kind) {
    detailEls = null;
    const p = el('p', `detail-placeholder${kind ? ` placeholder-${kind}` : ''}`, text);
    els.detail.replaceChildren(p);
    els.detail.removeAttribute('aria-busy');
    delete els.detail.dataset.claim;
  }

  /** Open a handoff: draw what the queue knows at once, then load the whole conversation. */
  async function select(id) {
    const h = state.handoffs.find((x) => x.id === id);
    if (!h) return;
    const fromQueue = els.queue.contains(document.activeElement);
    if (state.selectedId === id && detailEls) { focusDetail(fromQueue); return; }
    state.selectedId = id;
    state.detail = { ...h, messages: null };
    state.detailGone = false;
    renderQueue();
    renderDetail();
    focusDetail(fromQueue);
    await loadDetail(id);
  }

  function focusDetail(fromQueue) {
    // Move focus to the detail when the agent chose from the queue (not if they moved on meanwhile).
    if (!detailEls) return;
    if (fromQueue || document.activeElement === document.body) detailEls.title.focus();
    detailEls.title.scrollIntoView({ block: 'nearest' });
  }

  async function loadDetail(id) {
    const session = state.session;
    detailEls.conversation.setAttribute('aria-busy', 'true');
    try {
      const full = await api(handoffUrl(id));
      if (session !== state.session || state.selectedId !== id || !detailEls) return;
      state.detail = { ...state.detail, ...full, id, messages: Array.isArray(full.messages) ? full.messages : [] };
      renderConversation();
      updateDetail();
    } catch (err) {
      if (session !== state.session || state.selectedId !== id || !detailEls || handleAuthError(err)) return;
      if (err.status === 404) {
        state.detailGone = true;
        updateDetail();
      }
      const box = detailEls.conversation;
      const problem = [el('p', 'conversation-error', err.status === 404
        ? 'This conversation is no longer available.' : 'We couldn’t load the whole conversation.')];
      if (err.status !== 404) {
        const retry = button('btn btn-secondary btn-small', 'Try again');
        retry.addEventListener('click', () => {
          box.focus(); // the button is about to go away
          box.replaceChildren(el('p', 'muted', 'Loading the conversation…'));
          loadDetail(id);
        });
        problem.push(retry);
      }
      if (!renderSummaryFallback(problem)) box.replaceChildren(...problem);
    } finally {
      if (detailEls && state.selectedId === id) detailEls.conversation.removeAttribute('aria-busy');
    }
  }

  function section(title, className) {
    const box = el('section', className);
    const heading = el('h3', 'section-title', title);
    heading.id = `detail-${title.toLowerCase().replace(/[^a-z]+/g, '-')}-heading`;
    box.setAttribute('aria-labelledby', heading.id);
    box.appendChild(heading);
    return box;
  }

  function renderDetail() {
    const h = state.detail;
    const d = {};

    // Header: who, why, how long, claim.
    const head = el('div', 'detail-head');
    const back = button('btn btn-link back-to-queue', '← Back to queue', 'back-to-queue');
    back.addEventListener('click', backToQueue);
    d.title = el('h2', 'detail-title', customerName(h));
    d.title.id = 'detail-title';
    d.title.tabIndex = -1;
    d.meta = el('p', 'detail-meta');
    const claimRow = el('div', 'claim-row');
    d.claimStatus = el('p', 'claim-status');
    d.claimStatus.id = 'claim-status';
    d.claim = button('btn btn-primary', 'Claim', 'claim');
    d.claim.setAttribute('aria-describedby', 'claim-status');
    d.claim.addEventListener('click', claim);
    claimRow.append(d.claimStatus, d.claim);
    head.append(back, d.title, d.meta, claimRow);

    // Customer profile and recent orders.
    const cards = el('div', 'detail-cards');
    cards.append(renderCustomerCard(h.customer), renderOrdersCard(h.recent_orders));

    // Conversation.
    const convo = section('Conversation', 'conversation-section');
    d.conversation = el('div', 'transcript');
    d.conversation.tabIndex = 0; // scrollable by keyboard
    d.conversation.setAttribute('aria-label', 'Conversation so far');
    d.conversation.appendChild(el('p', 'muted', 'Loading the conversation…'));
    convo.appendChild(d.conversation);

    // Reply.
    const reply = section('Reply', 'reply-section');
    const suggested = typeof h.suggested_reply === 'string' && h.suggested_reply.trim() ? h.suggested_reply : null;
    d.suggested = suggested;
    const label = el('label', 'field-label', suggested ? 'Reply to the customer (suggested by the assistant)' : 'Reply to the customer');
    label.htmlFor = 'reply';
    d.reply = el('textarea', 'text-input reply-input');
    d.reply.id = 'reply';
    d.reply.rows = 5;
    d.reply.value = suggested || '';
    d.reply.setAttribute('aria-describedby', 'reply-hint actions-hint');
    d.reply.addEventListener('input', updateReplyState);
    d.reply.addEventListener('keydown', (e) => {
      if (e.key === 'Enter' && (e.ctrlKey || e.metaKey) && !d.send.disabled) { e.preventDefault(); sendReply(); }
    });
    const hint = el('p', 'hint', suggested
      ? '“Send suggested” sends the assistant’s text as it was written; “Send” sends what is in the box. Ctrl+Enter sends.'
      : 'Write your reply or start from a quick reply. Ctrl+Enter sends.');
    hint.id = 'reply-hint';
    reply.append(label, d.reply, hint);
    if (suggested) {
      d.reset = button('btn btn-link btn-small', 'Restore the suggested reply', 'reset-reply');
      d.reset.addEventListener('click', () => { d.reply.value = suggested; updateReplyState(); d.reply.focus(); });
      reply.appendChild(d.reset);
    }
    d.templates = el('div', 'templates');
    d.templates.setAttribute('role', 'group');
    d.templates.setAttribute('aria-label', 'Quick replies');
    reply.appendChild(d.templates);

    const actions = el('div', 'actions');
    actions.setAttribute('role', 'group');
    actions.setAttribute('aria-label', 'Actions');
    d.buttons = [];
    if (suggested) {
      d.approve = button('btn btn-primary', 'Send suggested', 'approve');
      d.approve.addEventListener('click', () => resolve('approve'));
      d.buttons.push(d.approve);
    }
    d.send = button('btn btn-primary', 'Send', 'send');
    d.send.addEventListener('click', sendReply);
    d.returnToBot = button('btn btn-secondary', 'Back to bot', 'return-to-bot');
    d.returnToBot.addEventListener('click', () => resolve('return_to_bot'));
    d.close = button('btn btn-secondary btn-danger', 'Close', 'close');
    d.close.title = 'Close the conversation without replying';
    d.close.addEventListener('click', () => resolve('close'));
    d.buttons.push(d.send, d.returnToBot, d.close);
    actions.append(...d.buttons);
    d.actionsHint = el('p', 'hint actions-hint', 'Claim this conversation to reply, hand it back or close it.');
    d.actionsHint.id = 'actions-hint';
    reply.append(actions, d.actionsHint);

    els.detail.replaceChildren(head, cards, convo, reply);
    detailEls = d;
    renderTemplates();
    renderSummaryFallback([el('p', 'muted', 'Summary — loading the whole conversation…')]);
    updateDetail();
  }

  function renderCustomerCard(customer) {
    const card = section('Customer', 'card customer-card');
    if (!customer || typeof customer !== 'object') {
      card.appendChild(el('p', 'muted', 'Anonymous customer — not signed in, no profile on file.'));
      return card;
    }
    const dl = el('dl', 'facts');
    const rows = [
      ['Name', str(customer.name)],
      ['Customer id', str(customer.id)],
      ['Email', str(customer.email)],
      ['Phone', str(customer.phone)],
      ['Prefers', formatContactPreference(customer.contact_preference)],
      ['Address', formatAddress(customer.address)],
    ];
    for (const [term, value] of rows) {
      if (!value) continue;
      dl.append(el('dt', '', term), el('dd', '', value));
    }
    card.appendChild(dl);
    return card;
  }

  function renderOrdersCard(orders) {
    const card = section('Recent orders', 'card orders-card');
    const list = (Array.isArray(orders) ? orders : []).filter((o) => o && typeof o === 'object');
    if (!list.length) {
      card.appendChild(el('p', 'muted', 'No orders on file.'));
      return card;
    }
    const ul = el('ul', 'orders');
    for (const o of list) {
      const li = el('li', 'order');
      const top = el('span', 'order-top');
      top.append(el('span', 'order-id', str(o.id)), el('span', `order-status status-${str(o.status).replace(/[^a-z_]/gi, '')}`, str(o.status).replace(/_/g, ' ')));
      const when = formatDate(o.placed_at);
      const bottom = el('span', 'order-bottom', [when && `Placed ${when}`, formatMoney(o.total)].filter(Boolean).join(' · '));
      li.append(top, bottom);
      ul.appendChild(li);
    }
    card.appendChild(ul);
    return card;
  }

  function formatDate(value) {
    if (!value) return '';
    const date = new Date(value);
    if (Number.isNaN(date.getTime())) return str(value);
    return date.toLocaleDateString(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
  }

  function messageBubble(role, content, who) {
    const bubble = el('div', `bubble bubble-${role}`);
    bubble.append(el('span', 'bubble-label', who), el('span', 'bubble-text', content));
    return bubble;
  }

  function roleLabel(role, m) {
    if (role === 'user') return customerName(state.detail) === 'Anonymous customer' ? 'Customer' : customerName(state.detail);
    if (role === 'agent' && m && typeof m.agent === 'string' && m.agent) return `${m.agent} (agent)`;
    return ROLE_LABELS[role];
  }

  function fillTranscript(messages) {
    const box = detailEls.conversation;
    box.replaceChildren();
    for (const m of messages) {
      if (!m || typeof m.content !== 'string' || !m.content) continue;
      const role = m.role === 'customer' ? 'user' : m.role;
      if (!ROLE_LABELS[role]) continue;
      box.appendChild(messageBubble(role, m.content, roleLabel(role, m)));
    }
    if (!box.children.length) box.appendChild(el('p', 'muted', 'No messages.'));
    box.scrollTop = box.scrollHeight; // the latest message is what matters
  }

  function renderConversation() {
    if (!detailEls) return;
    fillTranscript(state.detail.messages || []);
  }

  /** Until (or unless) the full conversation loads, show the handoff's summary under `heading`
   * (a list of nodes). Returns false when there is no summary to show. */
  function renderSummaryFallback(heading) {
    if (!detailEls || Array.isArray(state.detail.messages)) return false;
    const summary = Array.isArray(state.detail.summary) ? state.detail.summary : [];
    if (!summary.length) return false;
    fillTranscript(summary);
    detailEls.conversation.prepend(...heading);
    return true;
  }

  function renderTemplates() {
    if (!detailEls) return;
    const box = detailEls.templates;
    box.replaceChildren();
    box.hidden = !state.templates.length;
    if (!state.templates.length) return;
    box.appendChild(el('span', 'templates-title', 'Quick replies:'));
    for (const t of state.templates) {
      const b = button('btn btn-chip', t.title);
      if (t.id) b.dataset.templateId = t.id;
      b.title = t.text;
      b.setAttribute('aria-label', `Insert quick reply: ${t.title}`);
      b.addEventListener('click', () => insertTemplate(t.text));
      box.appendChild(b);
    }
  }

  /** Put a quick reply at the cursor (replacing any selection) in #reply. */
  function insertTemplate(text) {
    const ta = detailEls && detailEls.reply;
    if (!ta) return;
    const start = ta.selectionStart ?? ta.value.length;
    const end = ta.selectionEnd ?? start;
    const before = ta.value.slice(0, start);
    const sep = before && !/\s$/.test(before) ? ' ' : '';
    ta.setRangeText(sep + text, start, end, 'end');
    ta.focus();
    updateReplyState();
  }

  function updateReplyState() {
    const d = detailEls;
    if (!d || !d.reset) return;
    d.reset.hidden = normalise(d.reply.value) === normalise(d.suggested);
  }

  /** Sync the header, claim status and buttons with state.detail / state.working. */
  function updateDetail() {
    const d = detailEls, h = state.detail;
    if (!d || !h) return;
    const mine = holdsClaim(h), gone = state.detailGone;

    d.title.textContent = customerName(h);
    d.meta.replaceChildren(badge(h.priority), ' ', el('span', 'meta-reason', reasonLabel(h.reason)),
      ` · waiting ${formatWaiting(h.waiting_seconds)}`);

    let status;
    if (gone) status = 'This conversation has left the queue — another agent may have resolved it.';
    else if (mine) status = 'You’re handling this conversation.';
    else if (h.claimed_by) status = `${h.claimed_by} already took this one.`;
    else status = 'Nobody has claimed this yet.';
    d.claimStatus.textContent = status;
    els.detail.dataset.claim = gone ? 'gone' : mine ? 'mine' : h.claimed_by ? 'other' : 'open';

    // While a request runs, buttons are only aria-disabled: a disabled button would drop focus.
    d.claim.disabled = gone || mine;
    for (const b of d.buttons) b.disabled = gone || !mine;
    for (const b of [d.claim, ...d.buttons]) {
      if (state.working && !b.disabled) b.setAttribute('aria-disabled', 'true');
      else b.removeAttribute('aria-disabled');
    }
    d.actionsHint.hidden = mine && !gone;
    if (gone) d.actionsHint.textContent = 'It can no longer be answered from here.';
    els.detail.setAttribute('aria-busy', String(state.working));
    updateReplyState();
  }

  function setWorking(working) {
    state.working = working;
    state.epoch++;
    updateDetail();
  }

  function backToQueue() {
    const item = state.selectedId && queueItems.get(state.selectedId);
    const target = item ? item.firstElementChild : els.queueHeading;
    target.focus();
    target.scrollIntoView({ block: 'nearest' });
  }

  // ---- Claim / resolve ----

  async function claim() {
    const id = state.selectedId;
    if (!id || state.working || !detailEls) return;
    const session = state.session;
    setWorking(true);
    try {
      const h = await api(handoffUrl(id, '/claim'), { method: 'POST' });
      if (session !== state.session) return;
      mergeHandoff(id, h);
      if (state.selectedId === id) {
        notify('Claimed — you can reply now.', 'success');
        detailEls.reply.focus();
      }
    } catch (err) {
      if (session !== state.session || handleAuthError(err)) return;
      if (err.code === 'already_claimed') {
        let who = null;
        try {
          const fresh = await api(handoffUrl(id));
          if (session !== state.session) return;
          mergeHandoff(id, fresh);
          who = fresh.claimed_by;
        } catch (_) { /* keep the server's message */ }
        if (who && state.me && who === state.me.name) notify('You already hold this conversation.', 'info');
        else notify(who ? `${who} already took this one.` : err.message, 'error');
      } else if (isGone(err)) {
        dropHandoff(id);
        notify('This conversation is no longer waiting — it may have been resolved already.', 'error');
      } else {
        notify(err.message, 'error');
      }
    } finally {
      if (session === state.session) setWorking(false);
    }
  }

  /** The handoff is no longer there to act on (unknown, or already handled by someone). */
  const isGone = (err) => err.status === 404 || err.code === 'already_resolved';

  /** Take in a handoff the server just sent (after claim), keeping loaded messages. */
  function mergeHandoff(id, h) {
    const fields = { ...h, id };
    delete fields.messages;
    state.handoffs = state.handoffs.map((x) => (x.id === id ? { ...x, ...fields } : x));
    if (state.selectedId === id && state.detail) state.detail = { ...state.detail, ...fields };
    renderQueue();
    updateDetail();
  }

  /** Remove a handoff from the queue (and the detail, if it is shown). */
  function dropHandoff(id, placeholder, kind) {
    state.resolved.set(id, Date.now());
    state.handoffs = state.handoffs.filter((h) => h.id !== id);
    if (state.selectedId === id) {
      state.selectedId = null;
      state.detail = null;
      showPlaceholder(placeholder || 'Choose a conversation from the queue to see it here.', kind);
    }
    renderQueue();
  }

  function sendReply() {
    const d = detailEls;
    if (!d) return;
    if (!d.reply.value.trim()) {
      notify('Write a reply first (or pick a quick reply).', 'error');
      d.reply.focus();
      return;
    }
    resolve(sendAction(d.suggested, d.reply.value));
  }

  const DONE_TEXT = {
    approve: (name) => `Suggested reply sent to ${name}.`,
    edit: (name) => `Your edited reply was sent to ${name}.`,
    respond: (name) => `Your reply was sent to ${name}.`,
    return_to_bot: (name) => `${name} is back with the assistant.`,
    close: (name) => `The conversation with ${name} was closed without a reply.`,
  };

  async function resolve(action) {
    const id = state.selectedId, d = detailEls, h = state.detail;
    if (!id || !d || !h || state.working) return;
    let message = '';
    if (action === 'approve') message = d.suggested || '';
    else if (action === 'edit' || action === 'respond') message = normalise(d.reply.value);
    const hadFocus = els.detail.contains(document.activeElement);
    const session = state.session;
    setWorking(true);
    try {
      await api(handoffUrl(id, '/resolve'), { method: 'POST', body: { action, message } });
      if (session !== state.session) return;
      const name = h.customer && h.customer.name ? customerName(h) : 'the customer';
      const text = (DONE_TEXT[action] || (() => 'Done.'))(name);
      state.working = false;
      dropHandoff(id, `✓ ${text} Choose the next conversation from the queue.`, 'done');
      notify(text, 'success');
      if (hadFocus) {
        const first = els.queue.querySelector('.handoff-item');
        (first || els.queueHeading).focus();
      }
    } catch (err) {
      if (session !== state.session || handleAuthError(err)) return;
      if (err.code === 'not_claimed') {
        notify('Claim this conversation first.', 'error');
        try { mergeHandoff(id, await api(handoffUrl(id))); } catch (_) { /* the next poll will tell */ }
        if (detailEls && state.selectedId === id && !detailEls.claim.disabled) detailEls.claim.focus();
      } else if (err.code === 'message_required') {
        notify('Write a message first — this action needs one.', 'error');
        if (detailEls) detailEls.reply.focus();
      } else if (isGone(err)) {
        dropHandoff(id, 'This conversation is no longer waiting — it may have been resolved already.');
        notify('This conversation is no longer waiting — it may have been resolved already.', 'error');
      } else {
        notify(err.message, 'error');
      }
    } finally {
      if (session === state.session) setWorking(false);
    }
  }

  // ---- Wiring ----

  els.signInForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const key = els.keyInput.value.trim();
    if (!key) {
      notify('Enter your agent key to sign in.', 'error');
      els.keyInput.focus();
      return;
    }
    signIn(key);
  });
  els.signOut.addEventListener('click', () => signOut());
  els.queue.addEventListener('keydown', onQueueKeydown);

  const saved = keyStore.get();
  if (saved) signIn(saved, { restoring: true });
  else showSignedOut();
})();
