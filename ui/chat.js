/* Brightside Appliances — support chat client.
 * Plain ES2020, no build step. All message text is rendered with textContent. */
'use strict';

(function () {
  const STORAGE_KEY = 'supportgraph.thread_id';
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

  async function createThread() {
    const res = await fetch('/v1/threads', { method: 'POST', headers: JSON_HEADERS, body: '{}' });
    if (!res.ok) throw await toApiError(res);
    return (await res.json()).thread_id;
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

  // localStorage can throw (privacy modes, disabled storage): never let that break the chat.
  const storage = {
    get() { try { return localStorage.getItem(STORAGE_KEY); } catch (_) { return null; } },
    set(v) { try { localStorage.setItem(STORAGE_KEY, v); } catch (_) { /* ignore */ } },
    clear() { try { localStorage.removeItem(STORAGE_KEY); } catch (_) { /* ignore */ } },
  };

  // ---- DOM rendering ----

  const $ = (id) => document.getElementById(id);
  const els = {
    scroller: $('chat-scroll'), empty: $('empty-state'), log: $('messages'),
    typing: $('typing-indicator'), typingLabel: $('typing-label'),
    form: $('composer'), input: $('composer-input'), send: $('send-button'),
    counter: $('char-counter'), newConversation: $('new-conversation'),
  };

  // turn = {controller, bubble, ended, done, refocus} for the message currently streaming.
  const state = { threadId: null, busy: false, turn: null };

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

  /** Apply the role classes (and the "Agent" label for human agents). */
  function setRole(bubble, role) {
    bubble.classList.remove('bubble-user', 'bubble-assistant', 'bubble-agent');
    bubble.classList.add(`bubble-${role}`);
    bubble.dataset.role = role;
    const label = bubble.querySelector('.bubble-label');
    if (role === 'agent' && !label) bubble.prepend(el('span', 'bubble-label', 'Agent'));
    else if (role !== 'agent' && label) label.remove();
  }

  function createBubble(role, text) {
    const bubble = el('div', 'bubble');
    bubble.appendChild(el('div', 'bubble-text', text));
    setRole(bubble, role);
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

  function addMessage(msg) {
    const bubble = createBubble(msg.role, msg.content);
    if (msg.id) bubble.dataset.messageId = msg.id;
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

  function renderThread(thread) {
    resetLog();
    for (const m of (thread && thread.messages) || []) {
      if (m && CHAT_ROLES.includes(m.role)) addMessage(m);
    }
    if (thread && thread.status === 'waiting_for_agent') {
      addNotice('A member of our team will reply here as soon as possible.', 'handoff');
    }
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
      case 'interrupt': showInterrupt(data); break;
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
    if (!bubble) appendToLog((bubble = createBubble(role, content)));
    setRole(bubble, role);
    if (content !== null) bubble.querySelector('.bubble-text').textContent = content; // final text wins
    if (msg.id) bubble.dataset.messageId = msg.id;
    renderCitations(bubble, msg.citations);
    turn.bubble = null; // further tokens in this turn start a new bubble
    scrollToEnd();
  }

  function showInterrupt(data) {
    const message = typeof data.message === 'string' ? data.message.trim() : '';
    if (data.kind && data.kind !== 'handoff') return addNotice(message || 'Please reply to continue.', 'info');
    const intro = 'You’re being connected to a person…';
    addNotice(message ? `${intro}\n${message}` : intro, 'handoff');
  }

  /** Finish a turn: hide typing, clear streaming flags, re-enable the composer. */
  function endTurn(turn) {
    if (turn.ended) return;
    turn.ended = true;
    hideTyping();
    els.log.querySelectorAll('[data-streaming]').forEach((b) => b.removeAttribute('data-streaming'));
    setBusy(false);
    if (turn.refocus) els.input.focus();
  }

  async function startNewThread() {
    const id = await createThread();
    state.threadId = id;
    storage.set(id);
    resetLog();
  }

  async function sendMessage() {
    const content = els.input.value;
    if (state.busy || !content.trim()) return;
    if (content.length > MAX_LENGTH) {
      addNotice(`Messages can be at most ${MAX_LENGTH} characters.`, 'error');
      return;
    }
    const turn = { controller: new AbortController(), bubble: null, ended: false, done: false,
      refocus: els.form.contains(document.activeElement) };
    state.turn?.controller.abort(); // never two streams at once
    state.turn = turn;
    setBusy(true);

    let userBubble = null, res;
    try {
      if (!state.threadId) await startNewThread();
      userBubble = addMessage({ role: 'user', content }); // optimistic; removed on failure
      res = await postMessage(state.threadId, content, uuid(), turn.controller.signal);
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
        storage.clear();
        addNotice('This conversation has expired. Press Send again to start a new one — your message is still in the box.', 'error');
      } else {
        addNotice(err.message, 'error');
      }
      endTurn(turn);
      return;
    }

    els.input.value = '';
    updateComposer();
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

  async function newConversation() {
    if (state.turn) { state.turn.controller.abort(); state.turn = null; }
    setBusy(true);
    try {
      await startNewThread();
    } catch (_) {
      state.threadId = null; // a thread will be created on the next send
      storage.clear();
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
    try {
      const thread = saved ? await fetchThread(saved) : null;
      if (thread) {
        state.threadId = saved;
        renderThread(thread);
      } else {
        storage.clear(); // unknown or expired
        await startNewThread();
      }
    } catch (_) {
      // If the stored thread merely failed to load, keep it; otherwise one is created on send.
      state.threadId = storage.get();
      addNotice('We couldn’t connect to support right now. Check your connection — you can still try sending a message.', 'error');
    }
    setBusy(false);
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
