/* Brightside Appliances — support chat client.
 * Plain ES2020, no build step. All message text is rendered with textContent. */
'use strict';

(function () {
  const STORAGE_KEY = 'supportgraph.thread_id';
  const SESSION_KEY = 'supportgraph.session'; // sessionStorage: {thread_id, customer, subject, token_hash}
  const MAX_LENGTH = 4000;
  const COUNTER_FROM = 3500; // show the character counter once the text nears the limit
  const CHAT_ROLES = ['user', 'assistant', 'agent'];

  // ---- SSE parsing (pure, no DOM): feed decoded text chunks, receive events. ----

  /** Incremental SSE parser. Calls onEvent({event, id, data}) for each event. */
  function createSSEParser(onEvent) {
    let buffer = '', type = '', lastId = '', data = [];

    function dispatch() {
      if (data.length || type) onEvent({ event: type || 'message', id: lastId, data: data.join('\n') });
      type = '';
      data = [];
    }

    function processLine(line) {
      if (line === '') return dispatch();   // blank line ends an event
      if (line[0] === ':') return;          // comment / keep-alive ping
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? '' : line.slice(colon + 1);
      if (value[0] === ' ') value = value.slice(1);
      if (field === 'event') type = value;
      else if (field === 'data') data.push(value);
      else if (field === 'id' && !value.includes('\0')) lastId = value;
      // "retry" and unknown fields are ignored.
    }

    return {
      push(chunk) {
        buffer += chunk;
        const re = /\r\n|\r|\n/g;
        let start = 0, m;
        while ((m = re.exec(buffer)) !== null) {
          // A "\r" at the very end may be the first half of "\r\n": wait for more.
          if (m[0] === '\r' && re.lastIndex === buffer.length) break;
          processLine(buffer.slice(start, m.index));
          start = re.lastIndex;
        }
        buffer = buffer.slice(start);
      },
      /** Stream closed: be lenient and flush a final event lacking its blank line. */
      end() {
        if (buffer) processLine(buffer.replace(/\r$/, ''));
        buffer = '';
        dispatch();
      },
    };
  }

  /** Parse a complete SSE text into an array of events (handy for tests). */
  function parseSSE(text) {
    const events = [];
    const parser = createSSEParser((evt) => events.push(evt));
    parser.push(text), parser.end();
    return events;
  }

  if (typeof module !== 'undefined' && module.exports) module.exports = { createSSEParser, parseSSE };
  if (typeof document === 'undefined') return; // loaded by node for tests

  // ---- API calls ----

  class ApiError extends Error {
    constructor(status, code, message) { super(message); this.status = status; this.code = code; }
  }

  /** Build an ApiError from a non-2xx response carrying {code, message}. */
  async function toApiError(res) {
    let body = null;
    try { body = await res.json(); } catch (_) { /* not JSON */ }
    const message = (body && typeof body.message === 'string' && body.message)
      || `Something went wrong (HTTP ${res.status}). Please try again.`;
    return new ApiError(res.status, body && body.code, message);
  }

  const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const threadUrl = (id) => `/v1/threads/${encodeURIComponent(id)}`;

  /** {id, name} as the API sends a customer, or null. */
  function asCustomer(value) {
    if (!value || typeof value !== 'object') return null;
    const id = typeof value.id === 'string' ? value.id : '';
    const name = typeof value.name === 'string' ? value.name : '';
    return id || name ? { id, name } : null;
  }

  /** Create a thread, signed in when a customer token is given. Returns {threadId, customer}. */
  async function createThread(token) {
    const body = token ? JSON.stringify({ customer_token: token }) : '{}';
    const res = await fetch('/v1/threads', { method: 'POST', headers: JSON_HEADERS, body });
    if (!res.ok) throw await toApiError(res);
    const data = await res.json();
    return { threadId: data.thread_id, customer: asCustomer(data.customer) };
  }

  /** Returns the thread, or null if it is unknown/expired (404). */
  async function fetchThread(threadId) {
    const res = await fetch(threadUrl(threadId), { headers: { Accept: 'application/json' } });
    if (res.status === 404) return null;
    if (!res.ok) throw await toApiError(res);
    return res.json();
  }

  function postMessage(threadId, content, clientMessageId, signal) {
    return fetch(`${threadUrl(threadId)}/messages`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, Accept: 'text/event-stream' },
      body: JSON.stringify({ content, client_message_id: clientMessageId }),
      signal,
    });
  }

  /** Answer the pending confirmation; the reply streams back like a message turn. */
  function postResume(threadId, approved, signal) {
    return fetch(`${threadUrl(threadId)}/resume`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, Accept: 'text/event-stream' },
      body: JSON.stringify({ approved }),
      signal,
    });
  }

  /** Read an SSE response body to the end, calling onEvent per event. */
  async function readEventStream(res, onEvent) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const parser = createSSEParser(onEvent);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
    parser.end();
  }

  function uuid() {
    if (window.crypto && typeof crypto.randomUUID === 'function') return crypto.randomUUID();
    const b = crypto.getRandomValues(new Uint8Array(16)); // fallback for non-secure contexts
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  }

  // Web storage can throw (privacy modes, disabled storage): never let that break the chat.
  function safeStorage(area, key) {
    return {
      get() { try { return window[area].getItem(key); } catch (_) { return null; } },
      set(v) { try { window[area].setItem(key, v); } catch (_) { /* ignore */ } },
      clear() { try { window[area].removeItem(key); } catch (_) { /* ignore */ } },
    };
  }
  const storage = safeStorage('localStorage', STORAGE_KEY);
  const session = safeStorage('sessionStorage', SESSION_KEY);

  // ---- Customer token (?token=… from the site that embeds the chat) ----

  function readToken() {
    try { return new URLSearchParams(window.location.search).get('token') || null; } catch (_) { return null; }
  }

  /** The token's "sub" claim, read without verifying it (the server does that), or null.
   * Only used to tell whether a saved conversation belongs to the same customer. */
  function tokenSubject(token) {
    try {
      const part = token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
      const claims = JSON.parse(atob(part + '='.repeat((4 - (part.length % 4)) % 4)));
      return claims && claims.sub != null ? String(claims.sub) : null;
    } catch (_) { return null; }
  }

  /** FNV-1a: recognise the token a thread was made with, without storing the token. */
  function hashToken(token) {
    let h = 0x811c9dc5;
    for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x01000193);
    return (h >>> 0).toString(16);
  }

  /** Save the thread id, and (per tab) who it belongs to, so a reload shows "Signed in as". */
  function rememberThread(threadId, customer, token) {
    storage.set(threadId);
    session.set(JSON.stringify({
      thread_id: threadId,
      customer,
      subject: customer && token ? tokenSubject(token) : null,
      token_hash: token ? hashToken(token) : null,
    }));
  }

  function forgetThread() {
    stopWatching();
    storage.clear();
    session.clear();
  }

  /** This tab's record for threadId, or null. */
  function sessionRecord(threadId) {
    try {
      const record = JSON.parse(session.get() || 'null');
      return record && record.thread_id === threadId ? record : null;
    } catch (_) { return null; }
  }

  /** May the saved thread (with this tab's record, if any) be shown to a page opened with token? */
  function canResume(record, token) {
    if (!token) return !(record && record.customer); // signed out: never show a signed-in conversation
    if (!record) return false; // signed in now: the saved thread may be anonymous or someone else's
    if (record.token_hash === hashToken(token)) return true; // same token (accepted or refused)
    const subject = tokenSubject(token);
    return Boolean(record.customer && subject && record.subject === subject); // fresh token, same customer
  }

  // ---- DOM rendering ----

  const $ = (id) => document.getElementById(id);
  const els = {
    scroller: $('chat-scroll'), empty: $('empty-state'), log: $('messages'),
    typing: $('typing-indicator'), typingLabel: $('typing-label'),
    form: $('composer'), input: $('composer-input'), send: $('send-button'),
    counter: $('char-counter'), newConversation: $('new-conversation'), signedIn: $('signed-in'),
  };

  // turn = {controller, bubble, ended, done, refocus, confirmCard, handoff} for the stream currently open.
  // tokenRejected: the server refused the page's token, so new threads are made anonymously.
  const state = { threadId: null, customer: null, busy: false, turn: null, token: readToken(), tokenRejected: false };

  const isNearBottom = () =>
    els.scroller.scrollHeight - els.scroller.scrollTop - els.scroller.clientHeight < 80;
  const scrollToEnd = () => { els.scroller.scrollTop = els.scroller.scrollHeight; };

  /** Create an element with a class and plain-text content (never HTML). */
  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text) node.textContent = text;
    return node;
  }

  function appendToLog(node) {
    els.empty.hidden = true;
    els.log.appendChild(node);
    scrollToEnd();
  }

  function resetLog() {
    els.log.replaceChildren();
    els.empty.hidden = false;
    hideTyping();
  }

  /** Apply the role classes (and, for a person from the team, a label: "Dana · Brightside team",
   * or "Agent" when the name is unknown). */
  function setRole(bubble, role, agentName) {
    bubble.classList.remove('bubble-user', 'bubble-assistant', 'bubble-agent');
    bubble.classList.add(`bubble-${role}`);
    bubble.dataset.role = role;
    let label = bubble.querySelector('.bubble-label');
    if (role === 'agent' && !label) bubble.prepend((label = el('span', 'bubble-label', 'Agent')));
    else if (role !== 'agent' && label) label.remove();
    const name = typeof agentName === 'string' ? agentName.trim() : '';
    if (role === 'agent' && name) {
      label.textContent = `${name} · Brightside team`;
      label.classList.add('bubble-label-person');
    }
  }

  function createBubble(role, text, agentName) {
    const bubble = el('div', 'bubble');
    bubble.appendChild(el('div', 'bubble-text', text));
    setRole(bubble, role, agentName);
    return bubble;
  }

  /** Render a small "Sources:" list of citation titles (id as tooltip). */
  function renderCitations(bubble, citations) {
    bubble.querySelector('.citations')?.remove();
    const items = (Array.isArray(citations) ? citations : []).filter((c) => c && (c.title || c.id));
    if (!items.length) return;
    const box = el('div', 'citations');
    const list = document.createElement('ul');
    for (const c of items) {
      const li = el('li', '', String(c.title || c.id));
      if (c.id) li.title = String(c.id);
      list.appendChild(li);
    }
    box.append(el('span', 'citations-heading', 'Sources:'), list);
    bubble.appendChild(box);
  }

  const RECEIPT_LABELS = {
    done: 'Done',
    declined: 'Nothing changed',
    refused: "Couldn't do this",
    order: 'Order details',
  };

  // What Brightside's systems said, word for word (the reply above is the assistant's words).
  function renderReceipts(bubble, receipts) {
    bubble.querySelector('.receipts')?.remove();
    const items = (Array.isArray(receipts) ? receipts : []).filter((r) => r && r.text);
    if (!items.length) return;
    const box = el('div', 'receipts');
    for (const r of items) {
      const kind = RECEIPT_LABELS[r.kind] ? r.kind : 'order';
      const item = el('p', `receipt receipt-${kind}`);
      item.append(el('strong', 'receipt-label', `${RECEIPT_LABELS[kind]}: `), document.createTextNode(String(r.text)));
      box.appendChild(item);
    }
    bubble.appendChild(box);
  }

  function addMessage(msg) {
    const bubble = createBubble(msg.role, msg.content, msg.agent);
    if (msg.id) bubble.dataset.messageId = msg.id;
    renderReceipts(bubble, msg.receipts);
    renderCitations(bubble, msg.citations);
    appendToLog(bubble);
    return bubble;
  }

  /** Centred system notice; kind is "info", "handoff" or "error". */
  function addNotice(text, kind = 'info') {
    const notice = el('div', `bubble notice notice-${kind}`, text);
    appendToLog(notice);
    return notice;
  }

  /** The small "Signed in as …" line in the header. */
  function showCustomer(customer) {
    state.customer = customer;
    const name = customer && (customer.name || customer.id);
    els.signedIn.textContent = name ? `Signed in as ${name}` : '';
    els.signedIn.hidden = !name;
  }

  // ---- Confirmation cards (an action the assistant wants the customer to approve) ----

  let cardCount = 0;

  /** Render a pending confirmation: its summary and Confirm / Don't do it buttons. */
  function addConfirmCard(data) {
    const id = typeof data.id === 'string' ? data.id : '';
    const existing = id && Array.from(els.log.querySelectorAll('.confirm-card'))
      .find((c) => c.dataset.interruptId === id);
    if (existing) return existing;

    const card = el('div', 'confirm-card');
    card.setAttribute('role', 'group');
    card.dataset.state = 'pending';
    if (id) card.dataset.interruptId = id;
    if (typeof data.action === 'string') card.dataset.action = data.action;
    const summaryText = typeof data.summary === 'string' && data.summary.trim();
    const summary = el('p', 'confirm-summary', summaryText || 'Please confirm this action.');
    summary.id = `confirm-summary-${++cardCount}`;
    card.setAttribute('aria-labelledby', summary.id);

    const actions = el('div', 'confirm-actions');
    const choices = [['button-primary confirm-approve', 'Confirm', true],
      ['button-secondary confirm-decline', 'Don\'t do it', false]];
    for (const [className, label, approved] of choices) {
      const button = el('button', className, label);
      button.type = 'button';
      button.addEventListener('click', () => resolveConfirmation(card, approved));
      actions.appendChild(button);
    }
    card.append(el('span', 'confirm-label', 'Please confirm'), summary, actions);
    appendToLog(card);
    return card;
  }

  function focusConfirm(card) {
    card.querySelector('.confirm-approve:not(:disabled)')?.focus();
  }

  /** Disable the buttons while the answer is being sent, or enable them again to retry. */
  function setCardWorking(card, working) {
    card.dataset.state = working ? 'working' : 'pending';
    card.querySelectorAll('.confirm-actions button').forEach((b) => { b.disabled = working; });
  }

  /** The confirmation is over: replace the buttons by a short status text. */
  function settleCard(card, outcome, text) {
    card.dataset.state = outcome;
    card.querySelector('.confirm-actions')?.replaceWith(el('p', 'confirm-status', text));
  }

  function renderThread(thread) {
    resetLog();
    for (const m of (thread && thread.messages) || []) {
      if (m && CHAT_ROLES.includes(m.role)) addMessage(m);
    }
    if (thread && thread.status === 'waiting_for_agent') {
      addNotice('A member of our team will reply here as soon as possible.', 'handoff');
      watchForAgent(state.threadId);
    } else {
      stopWatching();
    }
    const pending = thread && thread.pending;
    if (pending && typeof pending === 'object' && pending.kind === 'confirm') focusConfirm(addConfirmCard(pending));
  }

  function showTyping(label) {
    const pinned = isNearBottom();
    els.typingLabel.textContent = label || 'Working on it…';
    els.typing.classList.remove('is-streaming');
    els.typing.hidden = false;
    if (pinned) scrollToEnd();
  }

  function hideTyping() {
    els.typing.hidden = true;
    els.typing.classList.remove('is-streaming');
  }

  // ---- Composer ----

  function setBusy(busy) {
    state.busy = busy;
    els.input.disabled = busy;
    els.send.disabled = busy;
    els.log.setAttribute('aria-busy', String(busy)); // announce finished replies, not every token
  }

  function updateComposer() {
    const input = els.input;
    const len = input.value.length;
    els.counter.hidden = len < COUNTER_FROM;
    els.counter.textContent = `${len} / ${MAX_LENGTH}${len >= MAX_LENGTH ? ' — limit reached' : ''}`;
    els.counter.classList.toggle('at-limit', len >= MAX_LENGTH);
    // Auto-grow the textarea (CSS max-height caps it).
    input.style.height = 'auto';
    input.style.height = `${input.scrollHeight + input.offsetHeight - input.clientHeight}px`;
  }

  // ---- Conversation flow ----

  /** Handle one SSE event belonging to `turn`. */
  function handleTurnEvent(turn, evt) {
    if (turn !== state.turn || turn.ended) return; // stale stream (e.g. after "New conversation")
    let data;
    try { data = evt.data ? JSON.parse(evt.data) : {}; } catch (_) { return; }
    if (!data || typeof data !== 'object') data = {};
    switch (evt.event) {
      case 'status': showTyping(data.label); break;
      case 'token': appendToken(turn, data.text); break;
      case 'message': finalizeMessage(turn, data); break;
      case 'interrupt': showInterrupt(turn, data); break;
      case 'error': addNotice(data.message || 'Something went wrong. Please try again.', 'error'); endTurn(turn); break;
      case 'done': turn.done = true; endTurn(turn); break;
      default: break; // unknown event types are ignored
    }
  }

  function appendToken(turn, text) {
    if (typeof text !== 'string' || !text) return;
    const pinned = isNearBottom();
    if (!turn.bubble) {
      turn.bubble = createBubble('assistant', '');
      turn.bubble.dataset.streaming = 'true';
      appendToLog(turn.bubble);
    }
    els.typing.classList.add('is-streaming'); // hide the dots, keep the status for AT
    turn.bubble.querySelector('.bubble-text').append(text); // appends a Text node
    if (pinned) scrollToEnd();
  }

  function finalizeMessage(turn, msg) {
    const role = msg.role === 'agent' ? 'agent' : 'assistant';
    const content = typeof msg.content === 'string' ? msg.content : null;
    let bubble = turn.bubble;
    if (!bubble && !content) return;
    if (!bubble) appendToLog((bubble = createBubble(role, content, msg.agent)));
    setRole(bubble, role, msg.agent);
    if (content !== null) bubble.querySelector('.bubble-text').textContent = content; // final text wins
    if (msg.id) bubble.dataset.messageId = msg.id;
    renderReceipts(bubble, msg.receipts);
    renderCitations(bubble, msg.citations);
    turn.bubble = null; // further tokens in this turn start a new bubble
    scrollToEnd();
  }

  function showInterrupt(turn, data) {
    if (data.kind === 'confirm') {
      turn.confirmCard = addConfirmCard(data);
      focusConfirm(turn.confirmCard); // the composer is still locked until "done"
      return;
    }
    const message = typeof data.message === 'string' ? data.message.trim() : '';
    if (data.kind && data.kind !== 'handoff') return addNotice(message || 'Please reply to continue.', 'info');
    const intro = 'You’re being connected to a person…';
    addNotice(message ? `${intro}\n${message}` : intro, 'handoff');
    turn.handoff = true; // listen for the person's reply once the turn ends
  }

  /** Finish a turn: hide typing, clear streaming flags, re-enable the composer. */
  function endTurn(turn) {
    if (turn.ended) return;
    turn.ended = true;
    hideTyping();
    els.log.querySelectorAll('[data-streaming]').forEach((b) => b.removeAttribute('data-streaming'));
    setBusy(false);
    const card = turn.confirmCard;
    if (card && card.isConnected && card.dataset.state === 'pending') focusConfirm(card);
    else if (turn.refocus) els.input.focus();
    if (turn.handoff && turn === state.turn && state.threadId) watchForAgent(state.threadId);
  }

  /** Start a turn (closing any stream still open) and lock the composer. */
  function beginTurn(refocus) {
    const turn = { controller: new AbortController(), bubble: null, ended: false, done: false,
      refocus, confirmCard: null, handoff: false };
    state.turn?.controller.abort(); // never two streams at once
    state.turn = turn;
    setBusy(true);
    return turn;
  }

  /** Read a turn's event stream to its end. */
  async function streamTurn(turn, res) {
    let broken = false;
    try {
      await readEventStream(res, (evt) => handleTurnEvent(turn, evt));
    } catch (_) {
      broken = true;
    }
    // The stream closed without "done" (network drop, server restart): unlock the composer.
    if (turn === state.turn && !turn.ended && !turn.controller.signal.aborted) {
      addNotice(broken ? 'The connection was interrupted. Please try again.'
        : 'The reply ended unexpectedly. Please try again.', 'error');
      endTurn(turn);
    }
  }

  /** Create a thread (signed in if the page has a token) and show it empty. */
  async function startNewThread() {
    const token = state.tokenRejected ? null : state.token;
    let created, refusal = null;
    try {
      created = await createThread(token);
    } catch (err) {
      if (!(token && err instanceof ApiError && err.status === 401)) throw err;
      state.tokenRejected = true; // e.g. invalid_customer_token: carry on anonymously
      refusal = err.message;
      created = await createThread(null);
    }
    stopWatching(); // a reply for the old conversation must not land in the new one
    state.threadId = created.threadId;
    rememberThread(created.threadId, created.customer, token);
    showCustomer(created.customer);
    resetLog();
    if (refusal) addNotice(refusal, 'info');
  }

  async function sendMessage() {
    const content = els.input.value;
    if (state.busy || !content.trim()) return;
    if (content.length > MAX_LENGTH) {
      addNotice(`Messages can be at most ${MAX_LENGTH} characters.`, 'error');
      return;
    }
    const turn = beginTurn(els.form.contains(document.activeElement));

    let userBubble = null, res;
    const clientMessageId = uuid(); // the server keeps it as the message id
    try {
      if (!state.threadId) await startNewThread();
      userBubble = addMessage({ role: 'user', content, id: clientMessageId }); // optimistic; removed on failure
      res = await postMessage(state.threadId, content, clientMessageId, turn.controller.signal);
    } catch (err) {
      userBubble?.remove();
      if (turn.controller.signal.aborted) return;
      addNotice(err instanceof ApiError ? err.message
        : 'We couldn’t reach support. Check your connection and try again.', 'error');
      endTurn(turn);
      return;
    }

    if (!res.ok) { // the typed text stays in the input so nothing is lost
      const err = await toApiError(res);
      if (turn !== state.turn) return;
      userBubble.remove();
      if (res.status === 404) {
        state.threadId = null; // expired: the next send starts a fresh thread
        forgetThread();
        addNotice('This conversation has expired. Press Send again to start a new one — your message is still in the box.', 'error');
      } else if (err.code === 'confirmation_pending' && !els.log.querySelector('.confirm-card[data-state="pending"]')) {
        endTurn(turn); // asked elsewhere (e.g. another tab): fetch the card so it can be answered here
        await reloadThread(false, err.message, 'error');
        return;
      } else {
        addNotice(err.message, 'error');
      }
      endTurn(turn);
      return;
    }

    els.input.value = '';
    updateComposer();
    await streamTurn(turn, res);
  }

  /** Answer a confirmation card: POST /resume and show the reply as a turn. */
  async function resolveConfirmation(card, approved) {
    if (state.busy || !state.threadId || card.dataset.state !== 'pending') return;
    const hadFocus = card.contains(document.activeElement);
    setCardWorking(card, true);
    const turn = beginTurn(false);
    showTyping();

    // Done, or not: then the buttons come back so the customer can try again.
    const finish = (settled) => {
      endTurn(turn);
      if (settled) settleCard(card, approved ? 'confirmed' : 'declined',
        approved ? 'Confirmed' : 'Cancelled — nothing was changed');
      else setCardWorking(card, false);
      if (turn.confirmCard && turn.confirmCard !== card && turn.confirmCard.dataset.state === 'pending') return;
      if (hadFocus) (settled ? els.input : card.querySelector('.confirm-approve')).focus();
    };

    let res;
    try {
      res = await postResume(state.threadId, approved, turn.controller.signal);
    } catch (_) {
      if (turn.controller.signal.aborted) return;
      addNotice('We couldn’t reach support. Check your connection and try again.', 'error');
      finish(false);
      return;
    }

    if (!res.ok) {
      const err = await toApiError(res);
      if (turn !== state.turn) return;
      if (res.status === 409 && err.code === 'nothing_to_confirm') {
        settleCard(card, 'handled', 'Already answered');
        endTurn(turn);
        await reloadThread(hadFocus,
          'That was already answered, perhaps in another window. Here is the conversation as it stands.');
      } else if (res.status === 404) {
        state.threadId = null;
        forgetThread();
        settleCard(card, 'expired', 'No longer available');
        addNotice('This conversation has expired. Send a message to start a new one.', 'error');
        endTurn(turn);
        if (hadFocus) els.input.focus();
      } else {
        addNotice(err.message, 'error');
        finish(false);
      }
      return;
    }

    await streamTurn(turn, res);
    if (turn !== state.turn) return; // e.g. "New conversation" was pressed meanwhile
    finish(turn.done && turn.confirmCard !== card); // the same card again: still pending
  }

  /** Redraw the thread from the server (its confirmation changed elsewhere, e.g. in another tab),
   * then add a notice. */
  async function reloadThread(refocus, note, kind = 'info') {
    const threadId = state.threadId;
    setBusy(true);
    try {
      const thread = await fetchThread(threadId);
      if (threadId !== state.threadId) return; // "New conversation" was pressed meanwhile
      if (thread) {
        renderThread(thread);
        addNotice(note, kind);
      } else {
        state.threadId = null;
        forgetThread();
        addNotice('This conversation has expired. Send a message to start a new one.', 'error');
      }
    } catch (_) {
      addNotice('We couldn’t refresh the conversation. Reload the page to see the latest messages.', 'error');
    } finally {
      if (threadId === state.threadId || !state.threadId) setBusy(false);
    }
    const card = els.log.querySelector('.confirm-card[data-state="pending"]');
    if (card) focusConfirm(card);
    else if (refocus) els.input.focus();
  }

  async function newConversation() {
    if (state.turn) { state.turn.controller.abort(); state.turn = null; }
    setBusy(true);
    try {
      await startNewThread();
    } catch (_) {
      state.threadId = null; // a thread will be created on the next send
      forgetThread();
      resetLog();
      addNotice('We couldn’t start a new conversation right now. Please try again in a moment.', 'error');
    }
    setBusy(false);
    els.input.focus();
  }

  /** On load: resume the stored thread, or start a new one. */
  async function loadConversation() {
    setBusy(true);
    const saved = storage.get();
    const record = saved ? sessionRecord(saved) : null;
    const resumable = Boolean(saved) && canResume(record, state.token);
    if (resumable) {
      showCustomer(asCustomer(record && record.customer));
      // The same token was refused before: don't offer it again for new conversations.
      if (state.token && record && !record.customer && record.token_hash === hashToken(state.token)) {
        state.tokenRejected = true;
      }
    }
    try {
      const thread = resumable ? await fetchThread(saved) : null;
      if (thread) {
        state.threadId = saved;
        renderThread(thread);
      } else {
        forgetThread(); // unknown, expired, or not this customer's
        await startNewThread();
      }
    } catch (_) {
      // If the stored thread merely failed to load, keep it; otherwise one is created on send.
      state.threadId = storage.get();
      addNotice('We couldn’t connect to support right now. Check your connection — you can still try sending a message.', 'error');
    }
    setBusy(false);
  }

  // ---- Live replies while a person from the team has the conversation ----
  // GET /v1/threads/{id}/events (EventSource): "message" events carry the person's reply (role
  // "agent") or the assistant's answer once the conversation is handed back; a "status" event
  // {"status": "idle"} ends the wait. EventSource reconnects by itself; replayed messages are
  // recognised by id and not shown twice.

  const LIVE_RECHECK_MS = [5000, 10000, 30000]; // after the stream gave up for good (HTTP error)
  // source: the open EventSource; threadId: the conversation it belongs to; replied: a message
  // arrived while watching; failures: consecutive permanent failures (for the back-off).
  const live = { source: null, threadId: null, replied: false, failures: 0, timer: null };

  /** Is a message with this id already in the log? */
  function isShown(id) {
    return Array.from(els.log.querySelectorAll('[data-message-id]')).some((b) => b.dataset.messageId === id);
  }

  /** Listen for the team's reply on threadId (no-op if already listening). */
  function watchForAgent(threadId) {
    if (!threadId || typeof EventSource === 'undefined') return;
    if (live.source && live.threadId === threadId) return;
    stopWatching();
    live.threadId = threadId;
    live.replied = false;
    openLiveStream();
  }

  function openLiveStream() {
    const source = new EventSource(`${threadUrl(live.threadId)}/events`);
    live.source = source;
    source.addEventListener('open', () => { if (source === live.source) live.failures = 0; });
    source.addEventListener('message', (e) => { if (source === live.source) showLiveMessage(e.data); });
    source.addEventListener('status', (e) => { if (source === live.source) onLiveStatus(e.data); });
    source.addEventListener('error', () => {
      // CONNECTING: EventSource retries by itself. CLOSED: it gave up (e.g. 404): check by hand.
      if (source !== live.source || source.readyState !== EventSource.CLOSED) return;
      source.close();
      live.source = null;
      const delay = LIVE_RECHECK_MS[Math.min(live.failures++, LIVE_RECHECK_MS.length - 1)];
      live.timer = setTimeout(() => recheckThread(live.threadId), delay);
    });
  }

  function stopWatching() {
    clearTimeout(live.timer);
    live.timer = null;
    if (live.source) live.source.close();
    live.source = null;
    live.threadId = null;
  }

  function parseJSON(text) {
    try { const v = JSON.parse(text); return v && typeof v === 'object' ? v : null; } catch (_) { return null; }
  }

  /** Show a message from the events stream, or from a catch-up read, unless it is already shown. */
  function showLiveMessage(data) {
    const msg = typeof data === 'string' ? parseJSON(data) : data;
    if (!msg || typeof msg.content !== 'string' || !msg.content) return false;
    const id = msg.id != null ? String(msg.id) : '';
    if (id && isShown(id)) return false;
    const role = msg.role === 'agent' ? 'agent' : msg.role === 'user' ? 'user' : 'assistant';
    addMessage({ id, role, content: msg.content, citations: msg.citations, agent: msg.agent });
    live.replied = true;
    return true;
  }

  async function onLiveStatus(data) {
    const status = parseJSON(data);
    if (!status || status.status !== 'idle') return;
    const threadId = live.threadId, replied = live.replied;
    stopWatching();
    if (!replied) await catchUp(threadId, true); // e.g. the reply came before the stream opened
  }

  /** Add the replies (after the last message shown) that are not shown yet; with noteIfNone,
   * say that the wait is over when there are none. */
  async function catchUp(threadId, noteIfNone) {
    let thread = null;
    try { thread = await fetchThread(threadId); } catch (_) { /* keep what is shown */ }
    if (threadId !== state.threadId) return null;
    const messages = ((thread && thread.messages) || []).filter((m) => m && m.id);
    let from = messages.length;
    while (from > 0 && !isShown(String(messages[from - 1].id))) from--;
    let added = false;
    if (from > 0) { // nothing recognisable shown: don't guess, the reload shows everything
      for (const m of messages.slice(from)) {
        if (m.role === 'agent' || m.role === 'assistant') added = showLiveMessage(m) || added;
      }
    }
    if (noteIfNone && !added) addNotice('Our team has finished with this request. You can keep chatting here.', 'info');
    return thread;
  }

  /** The stream failed for good: see where the conversation stands, and listen again if it still waits. */
  async function recheckThread(threadId) {
    if (!threadId || threadId !== state.threadId || live.source) return;
    let thread;
    try { thread = await fetchThread(threadId); } catch (_) { thread = undefined; }
    if (threadId !== state.threadId || live.source) return;
    if (thread === null) return stopWatching(); // expired: the next send says so
    if (thread === undefined || thread.status === 'waiting_for_agent') {
      if (thread) await catchUp(threadId, false);
      if (threadId === state.threadId && !live.source) openLiveStream();
      return;
    }
    const replied = live.replied;
    stopWatching();
    await catchUp(threadId, !replied);
  }

  // ---- Wiring ----

  els.form.addEventListener('submit', (e) => { e.preventDefault(); sendMessage(); });
  els.input.addEventListener('keydown', (e) => {
    // Enter sends, Shift+Enter inserts a newline; ignore Enter while an IME is composing.
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendMessage();
    }
  });
  els.input.addEventListener('input', updateComposer);
  els.newConversation.addEventListener('click', newConversation);

  els.input.maxLength = MAX_LENGTH;
  updateComposer();
  loadConversation();
})();
