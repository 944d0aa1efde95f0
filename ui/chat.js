/* Brightside Appliances — support chat client.
 * Plain ES2020, no build step. Customer messages are rendered with textContent; replies as a
 * small Markdown subset built node by node (createElement/textContent, never innerHTML). */
'use strict';

(function () {
  const STORAGE_KEY = 'supportgraph.thread_id'; // localStorage: {"thread_id", "thread_token"} (JSON)
  const SESSION_KEY = 'supportgraph.session'; // sessionStorage: {thread_id, customer, subject, token_hash}
  const MAX_LENGTH = 4000;
  const COUNTER_FROM = 3500; // show the character counter once the text nears the limit
  const CHAT_ROLES = ['user', 'assistant', 'agent'];
  const RETRY_DELAYS_MS = [0, 1000, 2000, 4000, 8000, 15000]; // back-off between reconnect attempts
  const MAX_RETRIES = 8; // failed attempts in a row before a turn's stream is given up
  const SEND_RETRIES = 4; // the same, for a message whose POST was never answered
  const OFFLINE_WAIT_MS = 30000; // offline: wait for the "online" event, but look again after this
  const STALL_MS = 45000; // nothing at all (the server pings every 15 s) for this long: reconnect

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

  // ---- Markdown subset (pure, no DOM): text → a tree of blocks and inline nodes. ----
  // Blocks: {type: 'p', inline}, {type: 'code', text}, {type: 'ul' | 'ol', start, items: [blocks]}.
  // Inline: {type: 'text', text}, {type: 'br'}, {type: 'code', text},
  //         {type: 'strong' | 'em', children}, {type: 'link', href, children}.
  // Everything else, raw HTML included, stays literal text.

  const MAX_NESTING = 6;
  const FENCE = /^ {0,3}(`{3,}|~{3,})(.*)$/;
  const LIST_ITEM = /^( {0,3})([-*+]|\d{1,9}[.)])([ \t]+)(.*)$/;
  const ESCAPABLE = '\\`*_[]()#+-.!<>~|{}';
  const isBlank = (line) => /^[ \t]*$/.test(line);
  const indentOf = (line) => /^[ \t]*/.exec(line)[0].replace(/\t/g, '    ').length;

  /** Remove up to n columns of leading whitespace. */
  function dedent(line, n) {
    let i = 0, width = 0;
    while (i < line.length && width < n && (line[i] === ' ' || line[i] === '\t')) {
      width += line[i] === '\t' ? 4 : 1;
      i++;
    }
    return line.slice(i);
  }

  /** A list item's marker: {ordered, start, indent (column of its text), text}, or null. */
  function listMarker(line) {
    const m = LIST_ITEM.exec(line);
    if (!m) return null;
    const ordered = m[2][0] >= '0' && m[2][0] <= '9';
    return {
      ordered,
      start: ordered ? parseInt(m[2], 10) : 1,
      indent: m[1].length + m[2].length + m[3].replace(/\t/g, '    ').length,
      text: m[4],
    };
  }

  /** An opening code fence (```lang or ~~~), or null. */
  function openingFence(line) {
    const m = FENCE.exec(line);
    if (!m || (m[1][0] === '`' && m[2].includes('`'))) return null; // ```x``` is inline code
    return new RegExp(`^ {0,3}${m[1][0] === '`' ? '`' : '~'}{${m[1].length},}[ \\t]*$`); // its closing fence
  }

  function parseBlocks(lines, depth) {
    const blocks = [];
    let para = [];
    const flush = () => {
      if (para.length) blocks.push({ type: 'p', inline: parseInline(para.join('\n'), 0, false) });
      para = [];
    };
    let i = 0;
    while (i < lines.length) {
      const line = lines[i];
      const closing = openingFence(line);
      if (closing) {
        flush();
        const body = [];
        for (i++; i < lines.length && !closing.test(lines[i]); i++) body.push(lines[i]);
        i++; // skip the closing fence; an unclosed block (still streaming) runs to the end
        blocks.push({ type: 'code', text: body.join('\n') });
        continue;
      }
      if (isBlank(line)) { flush(); i++; continue; }
      const first = depth < MAX_NESTING ? listMarker(line) : null;
      if (!first) { para.push(line); i++; continue; }

      flush();
      const list = { type: first.ordered ? 'ol' : 'ul', start: first.start, items: [] };
      let item = null;
      while (i < lines.length) {
        const l = lines[i];
        const marker = listMarker(l);
        if (marker && (!item || indentOf(l) < item.indent)) { // a sibling item, or another list
          if (marker.ordered !== first.ordered) break;
          item = { indent: marker.indent, lines: [marker.text] };
          list.items.push(item);
          i++;
          continue;
        }
        if (isBlank(l)) { // the list goes on if an indented line or another item follows
          let j = i + 1;
          while (j < lines.length && isBlank(lines[j])) j++;
          const next = j < lines.length ? lines[j] : null;
          const nextMarker = next === null ? null : listMarker(next);
          if (next === null || !(indentOf(next) >= item.indent
            || (nextMarker && nextMarker.ordered === first.ordered))) break;
          for (; i < j; i++) item.lines.push('');
          continue;
        }
        if (indentOf(l) >= 2) { item.lines.push(dedent(l, item.indent)); i++; continue; }
        if (item.lines[item.lines.length - 1] === '' || openingFence(l)) break;
        item.lines.push(l); // a "lazy" continuation of the item's text
        i++;
      }
      list.items = list.items.map((it) => parseBlocks(it.lines, depth + 1));
      blocks.push(list);
    }
    flush();
    return blocks;
  }

  /** Index of the next run of exactly n backticks from `from`, or -1. */
  function findCodeEnd(src, from, n) {
    for (let j = from; j < src.length; j++) {
      if (src[j] !== '`') continue;
      let k = j;
      while (src[k] === '`') k++;
      if (k - j === n) return j;
      j = k - 1;
    }
    return -1;
  }

  /** Where emphasis opened just before `from` with mark "*" or "**" closes, or -1. */
  function findEmphasisEnd(src, from, mark) {
    if (from >= src.length || /\s/.test(src[from])) return -1; // "* " is not emphasis
    for (let j = from + 1; j < src.length; j++) {
      if (src[j] === '\\') { j++; continue; }
      if (src[j] === '`') { // no closing inside a code span
        let n = 1;
        while (src[j + n] === '`') n++;
        const end = findCodeEnd(src, j + n, n);
        if (end !== -1) j = end + n - 1;
        continue;
      }
      if (src[j] !== '*' || /\s/.test(src[j - 1])) continue;
      if (mark === '**') {
        if (src[j + 1] !== '*') continue;
        return src[j + 2] === '*' ? j + 1 : j; // "***": the inner "*" closes an <em> inside
      }
      if (src[j - 1] !== '*' && src[j + 1] !== '*') return j;
    }
    return -1;
  }

  /** [label](url) starting at src[i] === '[': {label, url, end}, or null. */
  function matchLink(src, i) {
    let j = i, depth = 0;
    for (; j < src.length && j - i < 1000; j++) {
      if (src[j] === '\\') j++;
      else if (src[j] === '[') depth++;
      else if (src[j] === ']' && --depth === 0) break;
    }
    if (src[j] !== ']' || src[j + 1] !== '(') return null;
    let k = j + 2, parens = 0;
    for (; k < src.length && k - j < 2048; k++) {
      if (src[k] === '(') parens++;
      else if (src[k] === ')' && parens-- === 0) break;
    }
    if (src[k] !== ')') return null;
    let url = src.slice(j + 2, k).trim();
    if (/\s/.test(url)) url = url.split(/\s/)[0]; // drop a "title"
    if (url[0] === '<' && url.endsWith('>')) url = url.slice(1, -1);
    return { label: src.slice(i + 1, j), url, end: k + 1 };
  }

  /** The URL if it is an absolute http:, https: or mailto: link, else null. */
  function safeHref(url) {
    const text = String(url).trim();
    if (!/^(?:https?:\/\/|mailto:)/i.test(text)) return null;
    try {
      const parsed = new URL(text);
      return ['http:', 'https:', 'mailto:'].includes(parsed.protocol) ? parsed.href : null;
    } catch (_) { return null; }
  }

  function parseInline(src, depth, inLink) {
    const out = [];
    let text = '';
    const push = (node) => {
      if (text) out.push({ type: 'text', text });
      text = '';
      if (node) out.push(node);
    };
    let i = 0;
    while (i < src.length) {
      const c = src[i];
      if (c === '\\' && i + 1 < src.length && ESCAPABLE.includes(src[i + 1])) {
        text += src[i + 1];
        i += 2;
      } else if (c === '\n') {
        push({ type: 'br' });
        i++;
      } else if (c === '`') {
        let n = 1;
        while (src[i + n] === '`') n++;
        const end = findCodeEnd(src, i + n, n);
        if (end === -1) { text += src.slice(i, i + n); i += n; continue; }
        let code = src.slice(i + n, end).replace(/\n/g, ' ');
        if (code.length > 2 && code[0] === ' ' && code.endsWith(' ') && code.trim()) code = code.slice(1, -1);
        push({ type: 'code', text: code });
        i = end + n;
      } else if (c === '*') {
        const mark = src[i + 1] === '*' ? '**' : '*';
        const end = depth < MAX_NESTING ? findEmphasisEnd(src, i + mark.length, mark) : -1;
        if (end === -1) { text += mark; i += mark.length; continue; }
        const children = parseInline(src.slice(i + mark.length, end), depth + 1, inLink);
        push({ type: mark === '**' ? 'strong' : 'em', children });
        i = end + mark.length;
      } else if (c === '[' && !inLink && depth < MAX_NESTING) {
        const link = matchLink(src, i);
        if (!link) { text += c; i++; continue; }
        const children = parseInline(link.label, depth + 1, true);
        const href = safeHref(link.url);
        push(href ? { type: 'link', href, children } : null);
        if (!href) out.push(...children); // not a link we allow: its text only
        i = link.end;
      } else {
        text += c;
        i++;
      }
    }
    push(null);
    return out;
  }

  /** Parse Markdown text into blocks (see above). */
  function parseMarkdown(text) {
    return parseBlocks(String(text).replace(/\r\n?/g, '\n').split('\n'), 0);
  }

  if (typeof module !== 'undefined' && module.exports) {
    module.exports = { createSSEParser, parseSSE, parseMarkdown, safeHref };
  }
  if (typeof document === 'undefined') return; // loaded by node for tests

  // ---- API calls ----
  // A thread is {id, token}: every request on it carries the thread token (Authorization: Bearer,
  // or ?token= where EventSource can't set headers). Not to be confused with the customer's
  // sign-in token (?token= in the page's own URL), which is only sent to create a thread.

  class ApiError extends Error {
    constructor(status, code, message, retryAfter = null) {
      super(message);
      this.status = status;
      this.code = code;
      this.retryAfter = retryAfter; // seconds, from Retry-After
    }
  }

  const STATUS_CODES = { 413: 'payload_too_large', 429: 'rate_limited' }; // when the body says nothing

  /** Retry-After (seconds or an HTTP date) as whole seconds, or null. */
  function retryAfterSeconds(value) {
    if (!value) return null;
    if (/^\s*\d+\s*$/.test(value)) return Math.max(1, parseInt(value, 10));
    const when = Date.parse(value);
    return Number.isNaN(when) ? null : Math.max(1, Math.ceil((when - Date.now()) / 1000));
  }

  /** Build an ApiError from a non-2xx response carrying {code, message}. */
  async function toApiError(res) {
    let body = null;
    try { body = await res.json(); } catch (_) { /* not JSON */ }
    const code = (body && typeof body.code === 'string' && body.code) || STATUS_CODES[res.status] || null;
    const message = (body && typeof body.message === 'string' && body.message)
      || `Something went wrong (HTTP ${res.status}). Please try again.`;
    const retryAfter = retryAfterSeconds(res.headers.get('Retry-After'))
      || (body && Number.isInteger(body.retry_after) && body.retry_after > 0 ? body.retry_after : null);
    return new ApiError(res.status, code, message, retryAfter);
  }

  const JSON_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json' };
  const threadUrl = (id) => `/v1/threads/${encodeURIComponent(id)}`;
  const authHeaders = (thread) => (thread && thread.token ? { Authorization: `Bearer ${thread.token}` } : {});

  /** {id, name} as the API sends a customer, or null. */
  function asCustomer(value) {
    if (!value || typeof value !== 'object') return null;
    const id = typeof value.id === 'string' ? value.id : '';
    const name = typeof value.name === 'string' ? value.name : '';
    return id || name ? { id, name } : null;
  }

  /** Create a thread, signed in when a customer token is given. Returns {thread, customer}. */
  async function createThread(customerToken) {
    const body = customerToken ? JSON.stringify({ customer_token: customerToken }) : '{}';
    const res = await fetch('/v1/threads', { method: 'POST', headers: JSON_HEADERS, body });
    if (!res.ok) throw await toApiError(res);
    const data = await res.json();
    const token = typeof data.thread_token === 'string' && data.thread_token ? data.thread_token : null;
    return { thread: { id: data.thread_id, token }, customer: asCustomer(data.customer) };
  }

  /** Returns the thread's messages and status, or null if it is unknown/expired (404). */
  async function fetchThread(thread) {
    const res = await fetch(threadUrl(thread.id), { headers: { Accept: 'application/json', ...authHeaders(thread) } });
    if (res.status === 404) return null;
    if (!res.ok) throw await toApiError(res);
    return res.json();
  }

  function postMessage(thread, content, clientMessageId, signal) {
    return fetch(`${threadUrl(thread.id)}/messages`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, Accept: 'text/event-stream', ...authHeaders(thread) },
      body: JSON.stringify({ content, client_message_id: clientMessageId }),
      signal,
    });
  }

  /** Answer the pending confirmation; the reply streams back like a message turn. */
  function postResume(thread, approved, signal) {
    return fetch(`${threadUrl(thread.id)}/resume`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, Accept: 'text/event-stream', ...authHeaders(thread) },
      body: JSON.stringify({ approved }),
      signal,
    });
  }

  /** Score an answer of the thread: 1 (helpful) or -1 (not helpful); a new score replaces the old. */
  async function postFeedback(thread, messageId, score) {
    const res = await fetch(`${threadUrl(thread.id)}/messages/${encodeURIComponent(messageId)}/feedback`, {
      method: 'POST',
      headers: { ...JSON_HEADERS, ...authHeaders(thread) },
      body: JSON.stringify({ score }),
    });
    if (!res.ok) throw await toApiError(res);
    return res.json();
  }

  /** GET /events: the thread's events after event afterId (when given), then live ones. */
  function eventsUrl(thread, afterId) {
    const query = new URLSearchParams();
    if (thread.token) query.set('token', thread.token);
    if (afterId !== null) query.set('last_event_id', String(afterId));
    return `${threadUrl(thread.id)}/events?${query}`;
  }

  function openEvents(thread, afterId, signal) {
    const headers = { Accept: 'text/event-stream', ...authHeaders(thread) };
    if (afterId !== null) headers['Last-Event-ID'] = String(afterId);
    return fetch(eventsUrl(thread, afterId), { headers, signal, cache: 'no-store' });
  }

  /** Read an SSE response body, calling onEvent per event, to its end or until stop() is true;
   * onChunk() is called whenever bytes arrive (keep-alive pings included). */
  async function readEventStream(res, onEvent, stop, onChunk = () => {}) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    const parser = createSSEParser(onEvent);
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      onChunk();
      parser.push(decoder.decode(value, { stream: true }));
      if (stop()) {
        reader.cancel().catch(() => {}); // e.g. GET /events stays open after the turn's "done"
        return;
      }
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

  function readCustomerToken() {
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

  /** FNV-1a: recognise the customer token a thread was made with, without storing that token. */
  function hashToken(token) {
    let h = 0x811c9dc5;
    for (let i = 0; i < token.length; i++) h = Math.imul(h ^ token.charCodeAt(i), 0x01000193);
    return (h >>> 0).toString(16);
  }

  /** The saved thread {id, token}, or null. One saved without a thread token (from before
   * thread tokens) can't be used any more: it is dropped. */
  function savedThread() {
    const raw = storage.get();
    if (!raw) return null;
    let value = null;
    try { value = JSON.parse(raw); } catch (_) { /* a bare thread id */ }
    if (value && typeof value === 'object' && typeof value.thread_id === 'string' && value.thread_id
      && typeof value.thread_token === 'string' && value.thread_token) {
      return { id: value.thread_id, token: value.thread_token };
    }
    storage.clear();
    return null;
  }

  /** Save the thread and its token, and (per tab) who it belongs to, so a reload shows "Signed in as". */
  function rememberThread(thread, customer, customerToken) {
    storage.set(JSON.stringify({ thread_id: thread.id, thread_token: thread.token }));
    session.set(JSON.stringify({
      thread_id: thread.id,
      customer,
      subject: customer && customerToken ? tokenSubject(customerToken) : null,
      token_hash: customerToken ? hashToken(customerToken) : null,
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

  // thread: {id, token} of the conversation shown, or null (one is created on send).
  // turn: the turn in progress (see beginTurn). lastEventId: the newest event id seen on the
  // thread, by any stream (null: none yet on this page). unsent: {thread, content, id} of a
  // message whose sending failed without an answer, so sending it again reuses its id.
  // tokenRejected: the server refused the customer token, so new threads are made anonymously.
  const state = {
    thread: null, customer: null, busy: false, turn: null, lastEventId: null, unsent: null,
    customerToken: readCustomerToken(), tokenRejected: false,
  };

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

  /** Append parsed inline Markdown to parent. */
  function appendInline(parent, nodes) {
    for (const node of nodes) {
      if (node.type === 'text') parent.appendChild(document.createTextNode(node.text));
      else if (node.type === 'br') parent.appendChild(document.createElement('br'));
      else if (node.type === 'code') parent.appendChild(el('code', '', node.text));
      else if (node.type === 'strong' || node.type === 'em') {
        const span = document.createElement(node.type);
        appendInline(span, node.children);
        parent.appendChild(span);
      } else if (node.type === 'link') {
        const a = document.createElement('a');
        a.href = node.href; // http:, https: or mailto: only (safeHref)
        a.target = '_blank';
        a.rel = 'noopener noreferrer';
        appendInline(a, node.children);
        if (!a.textContent) a.textContent = node.href;
        parent.appendChild(a);
      }
    }
  }

  function blockNode(block) {
    if (block.type === 'code') {
      const pre = document.createElement('pre');
      pre.appendChild(el('code', '', block.text));
      return pre;
    }
    if (block.type === 'ul' || block.type === 'ol') {
      const list = document.createElement(block.type);
      if (block.type === 'ol' && block.start !== 1) list.start = block.start;
      for (const blocks of block.items) {
        const li = document.createElement('li');
        let rest = blocks;
        if (blocks.length && blocks[0].type === 'p') { // the item's first paragraph, without a <p>
          appendInline(li, blocks[0].inline);
          rest = blocks.slice(1);
        }
        for (const b of rest) li.appendChild(blockNode(b));
        list.appendChild(li);
      }
      return list;
    }
    const p = document.createElement('p');
    appendInline(p, block.inline);
    return p;
  }

  /** Replace container's content with text rendered as Markdown. */
  function renderMarkdown(container, text) {
    const fragment = document.createDocumentFragment();
    for (const block of parseMarkdown(text)) fragment.appendChild(blockNode(block));
    container.replaceChildren(fragment);
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

  /** The customer's words as plain text; the assistant's and the team's as Markdown. */
  function setBubbleText(bubble, text) {
    const box = bubble.querySelector('.bubble-text');
    const markdown = bubble.dataset.role !== 'user';
    box.classList.toggle('bubble-md', markdown);
    if (markdown) renderMarkdown(box, text);
    else box.textContent = text;
  }

  function createBubble(role, text, agentName) {
    const bubble = el('div', 'bubble');
    bubble.appendChild(el('div', 'bubble-text'));
    setRole(bubble, role, agentName);
    setBubbleText(bubble, text || '');
    return bubble;
  }

  /** A streamed bubble is complete: stop the caret, and let assistive tech read it. */
  function settleBubble(bubble) {
    bubble.removeAttribute('data-streaming');
    bubble.removeAttribute('aria-busy');
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
    addFeedback(bubble);
    appendToLog(bubble);
    return bubble;
  }

  // ---- Feedback: thumbs up / down under each finished answer (POST …/messages/{id}/feedback) ----

  // Thumbs drawn as SVG (Feather icons' outlines): an emoji needs a colour-emoji font, which many
  // machines lack (headless Chromium on Debian showed empty boxes).
  const THUMB_UP = 'M14 9V5a3 3 0 0 0-3-3l-4 9v11h11.28a2 2 0 0 0 2-1.7l1.38-9a2 2 0 0 0-2-2.3zM7 22H4a2 2 0 0 1-2-2v-7a2 2 0 0 1 2-2h3';
  const THUMB_DOWN = 'M10 15v4a3 3 0 0 0 3 3l4-9V2H5.72a2 2 0 0 0-2 1.7l-1.38 9a2 2 0 0 0 2 2.3zm7-13h2.67A2.31 2.31 0 0 1 22 4v7a2.31 2.31 0 0 1-2.33 2H17';
  const FEEDBACK_CHOICES = [['feedback-up', THUMB_UP, 'Helpful', 1], ['feedback-down', THUMB_DOWN, 'Not helpful', -1]];

  /** An outline icon from one SVG path, hidden from screen readers (the button has a label). */
  function icon(path) {
    const ns = 'http://www.w3.org/2000/svg';
    const svg = document.createElementNS(ns, 'svg');
    for (const [name, value] of Object.entries({
      viewBox: '0 0 24 24', width: '16', height: '16', fill: 'none', stroke: 'currentColor',
      'stroke-width': '2', 'stroke-linecap': 'round', 'stroke-linejoin': 'round', 'aria-hidden': 'true',
      focusable: 'false',
    })) svg.setAttribute(name, value);
    const line = document.createElementNS(ns, 'path');
    line.setAttribute('d', path);
    svg.appendChild(line);
    return svg;
  }

  /** Add the feedback buttons under a finished reply of the assistant or the team that has an id
   * (once per bubble). */
  function addFeedback(bubble) {
    const role = bubble.dataset.role;
    if ((role !== 'assistant' && role !== 'agent') || !bubble.dataset.messageId) return;
    if (bubble.querySelector('.feedback')) return;
    const box = el('div', 'feedback');
    box.setAttribute('role', 'group');
    box.setAttribute('aria-label', 'Was this answer helpful?');
    for (const [className, path, label, score] of FEEDBACK_CHOICES) {
      const button = el('button', className);
      button.appendChild(icon(path));
      button.type = 'button';
      button.title = label;
      button.setAttribute('aria-label', label);
      button.setAttribute('aria-pressed', 'false');
      button.addEventListener('click', () => sendFeedback(bubble, box, button, score));
      box.appendChild(button);
    }
    bubble.appendChild(box);
  }

  /** Send the customer's score; the pressed button shows it once the server has it. The buttons
   * stay enabled (and focused) while it is sent; a second press meanwhile is ignored. */
  async function sendFeedback(bubble, box, button, score) {
    const thread = state.thread;
    const messageId = bubble.dataset.messageId;
    if (!thread || !messageId || box.dataset.state === 'sending') return;
    if (button.getAttribute('aria-pressed') === 'true') return; // already given
    box.querySelector('.feedback-notice')?.remove();
    box.dataset.state = 'sending';
    let failure = null;
    try {
      await postFeedback(thread, messageId, score);
    } catch (err) {
      if (!(err instanceof ApiError)) failure = 'Couldn’t send your feedback. Check your connection and try again.';
      else if (err.status === 404) failure = 'Couldn’t save your feedback: this conversation is no longer available.';
      else if (err.code === 'rate_limited') failure = 'Couldn’t save your feedback just now — try again in a few seconds.';
      else failure = 'Couldn’t save your feedback. Please try again.';
    }
    delete box.dataset.state;
    if (failure) {
      const notice = el('span', 'feedback-notice', failure);
      notice.setAttribute('role', 'status');
      box.appendChild(notice);
      return;
    }
    box.querySelectorAll('button').forEach((b) => b.setAttribute('aria-pressed', String(b === button)));
  }

  /** Centred system notice; kind is "info", "handoff" or "error". */
  function addNotice(text, kind = 'info') {
    const notice = el('div', `bubble notice notice-${kind}`, text);
    appendToLog(notice);
    return notice;
  }

  /** What to tell the customer about an API error ({status, code, message, retryAfter}); with
   * forSend, that the typed message is still in the box. */
  function errorText(err, forSend) {
    const kept = forSend ? ' Your message is still in the box.' : '';
    switch (err.code) {
      case 'rate_limited':
        return err.retryAfter
          ? `You're sending messages quickly — try again in ${err.retryAfter} s.`
          : 'You\'re sending messages quickly — try again in a few seconds.';
      case 'message_too_long':
        return `That message is too long — please shorten it to at most ${MAX_LENGTH} characters.${kept}`;
      case 'payload_too_large':
        return `That message is too large to send — please shorten it.${kept}`;
      case 'storage_unavailable':
        return `We can’t save conversations right now, so this didn’t go through. Please try again in a minute.${kept}`;
      case 'model_unavailable':
        return `Our assistant is unavailable right now. Please try again in a minute.${kept}`;
      case 'starting':
        return `Support is still starting up. Please try again in a few minutes.${kept}`;
      default:
        if (!err.code && err.status >= 500) return `Support is unavailable right now. Please try again in a minute.${kept}`;
        return `${err.message}${kept}`;
    }
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

  function renderThread(data) {
    resetLog();
    for (const m of (data && data.messages) || []) {
      if (m && CHAT_ROLES.includes(m.role)) addMessage(m);
    }
    if (data && data.status === 'waiting_for_agent') {
      addNotice('A member of our team will reply here as soon as possible.', 'handoff');
      watchForAgent(state.thread);
    } else {
      stopWatching();
    }
    const pending = data && data.pending;
    if (pending && typeof pending === 'object' && pending.kind === 'confirm') focusConfirm(addConfirmCard(pending));
  }

  /** Show the status line (a polite live region) with label. */
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

  // ---- Event ids: one bookkeeping for every stream of the thread ----

  /** True the first time an event is seen, by whichever stream brings it (a turn's POST, its
   * reconnection, the live EventSource): ids are numbers that grow across the thread's turns, so
   * an id at or below the newest seen is a replay. Events without a numeric id always pass. */
  function acceptEvent(evt) {
    if (!/^\d+$/.test(evt.id || '')) return true;
    const id = Number(evt.id);
    if (state.lastEventId !== null && id <= state.lastEventId) return false;
    state.lastEventId = id;
    return true;
  }

  function parseJSON(text) {
    try { const v = JSON.parse(text); return v && typeof v === 'object' ? v : null; } catch (_) { return null; }
  }

  /** Wait ms (with null, until the page is back online, at most OFFLINE_WAIT_MS); coming back
   * online or cancelling the signal ends the wait early. */
  function pause(ms, signal) {
    return new Promise((resolve) => {
      if (signal.aborted) return resolve();
      const finish = () => {
        clearTimeout(timer);
        window.removeEventListener('online', finish);
        signal.removeEventListener('abort', finish);
        resolve();
      };
      const timer = setTimeout(finish, ms === null ? OFFLINE_WAIT_MS : ms);
      window.addEventListener('online', finish);
      signal.addEventListener('abort', finish);
    });
  }

  /** How long to wait before attempt n (counted from 0) to reach the server again. */
  const retryDelay = (n) =>
    (navigator.onLine === false ? null : RETRY_DELAYS_MS[Math.min(n, RETRY_DELAYS_MS.length - 1)]);

  // ---- Conversation flow ----

  /** Is turn still the page's turn (not replaced, nor cancelled by "New conversation")? */
  const isCurrent = (turn) => turn === state.turn && !turn.controller.signal.aborted;

  /** Start a turn (closing any stream still open) and lock the composer.
   * turn = {controller (cancels the turn), connection (cuts only the current request, see connect),
   *   bubble, text (streamed so far), ended, done, refocus, confirmCard, handoff, started (the
   *   server took it), resend (POST the same message again), content, label, failures}. */
  function beginTurn(refocus) {
    const turn = { controller: new AbortController(), connection: null, bubble: null, text: '',
      ended: false, done: false, refocus, confirmCard: null, handoff: false, started: false,
      resend: null, content: null, label: null, failures: 0 };
    state.turn?.controller.abort(); // never two streams at once
    state.turn = turn;
    setBusy(true);
    return turn;
  }

  /** The signal for one request of turn: cancelling the turn cancels it, and it can be cut on its
   * own (offline, stalled) to reconnect while the turn goes on. */
  function connect(turn) {
    const connection = new AbortController();
    turn.connection = connection;
    if (turn.controller.signal.aborted) connection.abort();
    else turn.controller.signal.addEventListener('abort', () => connection.abort(), { once: true });
    return connection.signal;
  }

  /** An event for turn, from any stream: handled once. */
  function onTurnEvent(turn, evt) {
    if (!isCurrent(turn) || turn.ended) return; // stale stream (e.g. after "New conversation")
    if (!acceptEvent(evt)) return; // seen already (replayed after a reconnection, or on the live stream)
    turn.failures = 0;
    handleTurnEvent(turn, evt);
  }

  function handleTurnEvent(turn, evt) {
    const data = (evt.data ? parseJSON(evt.data) : null) || {};
    switch (evt.event) {
      case 'status':
        if (data.status === 'idle') { if (live.thread) onLiveStatus(data); } // the team is done
        else if (typeof data.label === 'string') showTyping((turn.label = data.label));
        break;
      case 'token': appendToken(turn, data.text); break;
      case 'message': finalizeMessage(turn, data); break;
      case 'interrupt': showInterrupt(turn, data); break;
      case 'error': failTurn(turn, data); break;
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
      turn.bubble.setAttribute('aria-busy', 'true'); // the log announces the finished reply, not every token
      turn.text = '';
      appendToLog(turn.bubble);
    }
    els.typing.classList.add('is-streaming'); // hide the dots, keep the status for AT
    turn.text += text;
    setBubbleText(turn.bubble, turn.text); // re-rendered from the whole text: Markdown shows as it arrives
    if (pinned) scrollToEnd();
  }

  function finalizeMessage(turn, msg) {
    const role = msg.role === 'agent' ? 'agent' : 'assistant';
    const content = typeof msg.content === 'string' ? msg.content : null;
    let bubble = turn.bubble;
    if (!bubble && !content) return;
    if (!bubble) appendToLog((bubble = createBubble(role, content, msg.agent)));
    setRole(bubble, role, msg.agent);
    if (content !== null) setBubbleText(bubble, content); // final text wins
    if (msg.id) bubble.dataset.messageId = msg.id;
    renderReceipts(bubble, msg.receipts);
    renderCitations(bubble, msg.citations);
    settleBubble(bubble);
    addFeedback(bubble);
    turn.bubble = null; // further tokens in this turn start a new bubble
    turn.text = '';
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

  /** An "error" event ended the turn. The customer's text goes back in the box (if it is empty)
   * so nothing is lost; sending it again is a new message (this one has had its answer). */
  function failTurn(turn, data) {
    const err = { code: typeof data.code === 'string' ? data.code : null, status: 0,
      message: typeof data.message === 'string' && data.message ? data.message : 'Something went wrong. Please try again.' };
    let text = errorText(err, false);
    if (turn.content && !els.input.value) {
      els.input.value = turn.content;
      updateComposer();
      text += ' Your message is back in the box so you can send it again.';
    }
    addNotice(text, 'error');
    endTurn(turn);
  }

  /** Finish a turn: hide typing, settle streaming bubbles, re-enable the composer. */
  function endTurn(turn) {
    if (turn.ended) return;
    turn.ended = true;
    hideTyping();
    els.log.querySelectorAll('[data-streaming], [aria-busy="true"]').forEach(settleBubble);
    setBusy(false);
    const card = turn.confirmCard;
    if (card && card.isConnected && card.dataset.state === 'pending') focusConfirm(card);
    else if (turn.refocus) els.input.focus();
    if (turn.handoff && turn === state.turn && state.thread) watchForAgent(state.thread);
  }

  /** request(signal) until the server answers (with any status). A network failure is retried
   * with back-off (offline, once back online). Returns the response, null if the turn was
   * cancelled meanwhile; throws once it gives up. */
  async function requestWithRetry(turn, request, retries) {
    for (let failures = 0; ; failures++) {
      try {
        const res = await request(connect(turn));
        if (failures && isCurrent(turn)) showTyping(turn.label);
        return res;
      } catch (err) {
        if (!isCurrent(turn)) return null;
        if (failures >= retries) throw err;
        showTyping('Reconnecting…');
        await pause(retryDelay(failures), turn.controller.signal);
        if (!isCurrent(turn)) return null;
      }
    }
  }

  /** Read a turn's event stream; if it ends before "done"/"error" (connection dropped, stalled,
   * or the browser went offline: the turn goes on on the server), reconnect and carry on with the
   * same turn and the same bubble. */
  async function streamTurn(turn, res) {
    turn.started = true;
    const stop = () => turn.ended || !isCurrent(turn);
    while (res) {
      const connection = turn.connection;
      let watchdog = null;
      const fed = () => {
        clearTimeout(watchdog);
        watchdog = setTimeout(() => connection && connection.abort(), STALL_MS);
      };
      fed();
      try {
        await readEventStream(res, (evt) => onTurnEvent(turn, evt), stop, fed);
      } catch (_) { /* the connection dropped, or was cut */ }
      clearTimeout(watchdog);
      if (stop()) return;
      res = await reconnectTurn(turn);
    }
  }

  /** The rest of a turn whose stream broke: GET /events after the last event seen (every event
   * of the turn not seen yet, then live ones). With no event seen yet on this page, a message is
   * POSTed again instead: the same client_message_id makes the server replay the same turn.
   * Returns the new response, or null once the turn is over (cancelled, given up, thread gone). */
  async function reconnectTurn(turn) {
    const signal = turn.controller.signal;
    const thread = state.thread;
    const open = state.lastEventId !== null ? (s) => openEvents(thread, state.lastEventId, s) : turn.resend;
    if (!open) {
      addNotice('The connection was interrupted. Please try again.', 'error');
      endTurn(turn);
      return null;
    }
    showTyping('Reconnecting…');
    while (turn.failures < MAX_RETRIES) {
      await pause(retryDelay(turn.failures++), signal);
      if (!isCurrent(turn)) return null;
      let res;
      try {
        res = await open(connect(turn));
      } catch (_) {
        continue; // still offline, or the server is unreachable
      }
      if (!isCurrent(turn)) return null;
      if (res.ok) {
        showTyping(turn.label);
        if (turn.bubble) els.typing.classList.add('is-streaming');
        return res;
      }
      const err = await toApiError(res);
      if (!isCurrent(turn)) return null;
      if (res.status === 404) {
        await replaceExpiredThread();
        if (isCurrent(turn)) endTurn(turn);
        return null;
      }
      if (res.status === 429 && err.retryAfter) await pause(err.retryAfter * 1000, signal);
      else if (res.status !== 429 && res.status < 500) {
        addNotice(errorText(err, false), 'error');
        endTurn(turn);
        return null;
      }
    }
    if (!isCurrent(turn)) return null;
    addNotice('We lost the connection while answering. Reload the page in a moment to see the reply.', 'error');
    endTurn(turn);
    return null;
  }

  /** Create a thread (signed in if the page has a customer token) and show it empty. */
  async function startNewThread() {
    const customerToken = state.tokenRejected ? null : state.customerToken;
    let created, refusal = null;
    try {
      created = await createThread(customerToken);
    } catch (err) {
      if (!(customerToken && err instanceof ApiError && err.status === 401)) throw err;
      state.tokenRejected = true; // e.g. invalid_customer_token: carry on anonymously
      refusal = err.message;
      created = await createThread(null);
    }
    stopWatching(); // a reply for the old conversation must not land in the new one
    state.thread = created.thread;
    state.lastEventId = null;
    rememberThread(created.thread, created.customer, customerToken);
    showCustomer(created.customer);
    resetLog();
    if (refusal) addNotice(refusal, 'info');
  }

  function dropThread() {
    state.thread = null;
    state.lastEventId = null;
    state.unsent = null;
    forgetThread();
  }

  /** The server no longer knows the conversation (404: expired, or its token refused): drop the
   * saved thread, start a new one and say so, followed by extra. */
  async function replaceExpiredThread(extra = '') {
    dropThread();
    let started = true;
    try {
      await startNewThread();
    } catch (_) {
      started = false; // one is created on the next send
      resetLog();
    }
    const head = started ? 'This conversation has expired, so we’ve started a new one.'
      : 'This conversation has expired. A new one will start when you send a message.';
    addNotice(extra ? `${head} ${extra}` : head, 'error');
  }

  async function sendMessage() {
    const content = els.input.value;
    if (state.busy || !content.trim()) return;
    if (content.length > MAX_LENGTH) {
      addNotice(`Messages can be at most ${MAX_LENGTH} characters.`, 'error');
      return;
    }
    const turn = beginTurn(els.form.contains(document.activeElement));
    try {
      if (!state.thread) await startNewThread();
    } catch (err) {
      if (!isCurrent(turn)) return;
      addNotice(err instanceof ApiError ? errorText(err, true)
        : 'We couldn’t reach support. Check your connection and try again.', 'error');
      endTurn(turn);
      return;
    }
    if (!isCurrent(turn)) return;

    // One client_message_id per message: the server runs a message once, however often it is
    // sent. It is kept when an attempt got no answer, so sending the same text again reuses it.
    const thread = state.thread;
    const unsent = state.unsent;
    const clientMessageId = unsent && unsent.thread === thread && unsent.content === content ? unsent.id : uuid();
    state.unsent = { thread, content, id: clientMessageId };
    turn.content = content;
    turn.resend = (signal) => postMessage(thread, content, clientMessageId, signal);
    const userBubble = addMessage({ role: 'user', content, id: clientMessageId }); // optimistic; removed on failure

    let res = null, unreachable = false;
    try {
      res = await requestWithRetry(turn, turn.resend, SEND_RETRIES);
    } catch (_) {
      unreachable = true;
    }
    if (!isCurrent(turn)) return;
    if (unreachable) { // the typed text stays in the input so nothing is lost
      userBubble.remove();
      addNotice('We couldn’t reach support. Check your connection and try again — your message is still in the box.', 'error');
      endTurn(turn);
      return;
    }

    if (!res.ok) { // refused, so not taken: the typed text stays in the input
      const err = await toApiError(res);
      if (!isCurrent(turn)) return;
      userBubble.remove();
      state.unsent = null;
      if (res.status === 404) {
        await replaceExpiredThread('Your message is still in the box — press Send to send it.');
      } else if (err.code === 'confirmation_pending' && !els.log.querySelector('.confirm-card[data-state="pending"]')) {
        endTurn(turn); // asked elsewhere (e.g. another tab): fetch the card so it can be answered here
        await reloadThread(false, err.message, 'error');
        return;
      } else {
        addNotice(errorText(err, true), 'error');
        if (err.code === 'waiting_for_agent') watchForAgent(thread);
      }
      if (isCurrent(turn)) endTurn(turn);
      return;
    }

    state.unsent = null; // the server has it
    els.input.value = '';
    updateComposer();
    await streamTurn(turn, res);
  }

  /** Answer a confirmation card: POST /resume and show the reply as a turn. */
  async function resolveConfirmation(card, approved) {
    if (state.busy || !state.thread || card.dataset.state !== 'pending') return;
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
      if (hadFocus) (settled ? els.input : card.querySelector('.confirm-approve'))?.focus();
    };

    let res;
    try {
      res = await postResume(state.thread, approved, connect(turn));
    } catch (_) {
      if (!isCurrent(turn)) return;
      addNotice('We couldn’t reach support. Check your connection and try again.', 'error');
      finish(false);
      return;
    }

    if (!res.ok) {
      const err = await toApiError(res);
      if (!isCurrent(turn)) return;
      if (res.status === 409 && err.code === 'nothing_to_confirm') {
        settleCard(card, 'handled', 'Already answered');
        endTurn(turn);
        await reloadThread(hadFocus,
          'That was already answered, perhaps in another window. Here is the conversation as it stands.');
      } else if (res.status === 404) {
        await replaceExpiredThread();
        if (isCurrent(turn)) endTurn(turn);
        if (hadFocus) els.input.focus();
      } else {
        addNotice(errorText(err, false), 'error');
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
    const thread = state.thread;
    setBusy(true);
    let expired = false;
    try {
      const data = await fetchThread(thread);
      if (thread === state.thread) {
        if (data) {
          renderThread(data);
          addNotice(note, kind);
        } else {
          expired = true;
          await replaceExpiredThread();
        }
      }
    } catch (_) {
      addNotice('We couldn’t refresh the conversation. Reload the page to see the latest messages.', 'error');
    }
    if (thread === state.thread || expired || !state.thread) setBusy(false);
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
      dropThread(); // a thread will be created on the next send
      resetLog();
      addNotice('We couldn’t start a new conversation right now. Please try again in a moment.', 'error');
    }
    setBusy(false);
    els.input.focus();
  }

  /** On load: resume the stored thread, or start a new one. */
  async function loadConversation() {
    setBusy(true);
    const saved = savedThread();
    const record = saved ? sessionRecord(saved.id) : null;
    const resumable = Boolean(saved) && canResume(record, state.customerToken);
    if (resumable) {
      showCustomer(asCustomer(record && record.customer));
      // The same token was refused before: don't offer it again for new conversations.
      if (state.customerToken && record && !record.customer && record.token_hash === hashToken(state.customerToken)) {
        state.tokenRejected = true;
      }
    }
    try {
      const data = resumable ? await fetchThread(saved) : null;
      if (data) {
        state.thread = saved;
        renderThread(data);
      } else {
        forgetThread(); // unknown, expired, or not this customer's
        await startNewThread();
        if (resumable) addNotice('Your previous conversation has expired, so we’ve started a new one.', 'info');
      }
    } catch (_) {
      // If the stored thread merely failed to load, keep it; otherwise one is created on send.
      state.thread = savedThread();
      addNotice('We couldn’t connect to support right now. Check your connection — you can still try sending a message.', 'error');
    }
    setBusy(false);
  }

  // ---- Live replies while a person from the team has the conversation ----
  // GET /v1/threads/{id}/events?token=… (EventSource): "message" events carry the person's reply
  // (role "agent") or the assistant's answer once the conversation is handed back; a "status"
  // event {"status": "idle"} ends the wait. It starts after the last event id seen, and every
  // event goes through the same id bookkeeping as the turns' streams, so nothing shows twice.
  // EventSource reconnects by itself (sending Last-Event-ID).

  const LIVE_RECHECK_MS = [5000, 10000, 30000]; // after the stream gave up for good (HTTP error)
  const LIVE_EVENTS = ['message', 'status', 'token', 'interrupt', 'done', 'error'];
  // source: the open EventSource; thread: the conversation it belongs to; replied: a message
  // arrived while watching; failures: consecutive permanent failures (for the back-off).
  const live = { source: null, thread: null, replied: false, failures: 0, timer: null };

  /** Is a message with this id already in the log? */
  function isShown(id) {
    return Array.from(els.log.querySelectorAll('[data-message-id]')).some((b) => b.dataset.messageId === id);
  }

  /** Listen for the team's reply on thread (no-op if already listening). */
  function watchForAgent(thread) {
    if (!thread || typeof EventSource === 'undefined') return;
    if (live.source && live.thread === thread) return;
    stopWatching();
    live.thread = thread;
    live.replied = false;
    openLiveStream();
  }

  function openLiveStream() {
    const source = new EventSource(eventsUrl(live.thread, state.lastEventId));
    live.source = source;
    source.addEventListener('open', () => { if (source === live.source) live.failures = 0; });
    for (const type of LIVE_EVENTS) {
      source.addEventListener(type, (e) => {
        if (source !== live.source) return;
        if (typeof e.data === 'string') onLiveEvent({ event: type, id: e.lastEventId, data: e.data });
        else if (type === 'error') onLiveError(source); // the connection's own error, not an event
      });
    }
  }

  function onLiveError(source) {
    // CONNECTING: EventSource retries by itself. CLOSED: it gave up (e.g. 404): check by hand.
    if (source.readyState !== EventSource.CLOSED) return;
    source.close();
    live.source = null;
    const delay = LIVE_RECHECK_MS[Math.min(live.failures++, LIVE_RECHECK_MS.length - 1)];
    live.timer = setTimeout(() => recheckThread(live.thread), delay);
  }

  function onLiveEvent(evt) {
    if (evt.event === 'message') live.replied = true;
    const turn = state.turn;
    if (turn && !turn.ended && isCurrent(turn)) return onTurnEvent(turn, evt); // a turn's event, seen here first
    if (!acceptEvent(evt)) return;
    if (evt.event === 'message') showLiveMessage(evt.data);
    else if (evt.event === 'status') onLiveStatus(parseJSON(evt.data));
  }

  function stopWatching() {
    clearTimeout(live.timer);
    live.timer = null;
    if (live.source) live.source.close();
    live.source = null;
    live.thread = null;
  }

  /** Show a message from the events stream, or from a catch-up read, unless it is already shown. */
  function showLiveMessage(data) {
    const msg = typeof data === 'string' ? parseJSON(data) : data;
    if (!msg || typeof msg.content !== 'string' || !msg.content) return false;
    const id = msg.id != null ? String(msg.id) : '';
    if (id && isShown(id)) return false;
    const role = msg.role === 'agent' ? 'agent' : msg.role === 'user' ? 'user' : 'assistant';
    addMessage({ id, role, content: msg.content, citations: msg.citations, receipts: msg.receipts, agent: msg.agent });
    live.replied = true;
    return true;
  }

  async function onLiveStatus(status) {
    if (!status || status.status !== 'idle' || !live.thread) return;
    const thread = live.thread, replied = live.replied;
    stopWatching();
    if (!replied) await catchUp(thread, true); // e.g. the reply came before the stream opened
  }

  /** Add the replies (after the last message shown) that are not shown yet; with noteIfNone,
   * say that the wait is over when there are none. */
  async function catchUp(thread, noteIfNone) {
    let data = null;
    try { data = await fetchThread(thread); } catch (_) { /* keep what is shown */ }
    if (thread !== state.thread) return null;
    const messages = ((data && data.messages) || []).filter((m) => m && m.id);
    let from = messages.length;
    while (from > 0 && !isShown(String(messages[from - 1].id))) from--;
    let added = false;
    if (from > 0) { // nothing recognisable shown: don't guess, the reload shows everything
      for (const m of messages.slice(from)) {
        if (m.role === 'agent' || m.role === 'assistant') added = showLiveMessage(m) || added;
      }
    }
    if (noteIfNone && !added) addNotice('Our team has finished with this request. You can keep chatting here.', 'info');
    return data;
  }

  /** The stream failed for good: see where the conversation stands, and listen again if it still waits. */
  async function recheckThread(thread) {
    if (!thread || thread !== state.thread || live.source) return;
    let data;
    try { data = await fetchThread(thread); } catch (_) { data = undefined; }
    if (thread !== state.thread || live.source) return;
    if (data === null) { // expired, or its token is refused
      stopWatching();
      if (!state.busy) await replaceExpiredThread();
      return;
    }
    if (data === undefined || data.status === 'waiting_for_agent') {
      if (data) await catchUp(thread, false);
      if (thread === state.thread && !live.source) openLiveStream();
      return;
    }
    const replied = live.replied;
    stopWatching();
    await catchUp(thread, !replied);
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
  // Offline: a connection that was open usually just stalls, so cut it now; the turn reconnects
  // from the last event seen once the page is back online, and so does the live stream.
  window.addEventListener('offline', () => {
    const turn = state.turn;
    if (turn && !turn.ended && turn.connection) turn.connection.abort();
    if (live.source) {
      live.source.close();
      live.source = null;
    }
    clearTimeout(live.timer);
    live.timer = null;
  });
  // Back online: the live stream looks again at once (a turn's reconnection wakes by itself).
  window.addEventListener('online', () => {
    if (live.thread && !live.source && live.thread === state.thread) {
      clearTimeout(live.timer);
      live.timer = null;
      recheckThread(live.thread);
    }
  });

  els.input.maxLength = MAX_LENGTH;
  updateComposer();
  loadConversation();
})();
