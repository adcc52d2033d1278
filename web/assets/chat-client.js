// chat-client.js: one chat WebSocket (CONTRACT §5) that stays up.
//
// - Reconnects after any drop (backoff 0.5 s doubling to 8 s, with jitter)
//   with since=<newest message id seen>, so the server sends exactly what was
//   missed; when it cannot ("recovered": false) the gap is read through REST
//   history. The page de-duplicates by message id, so nothing shows twice.
// - Sends one event at a time, each with a client_id: the answer (ack or
//   error) always belongs to the one in flight. An event in flight when the
//   connection drops is sent again, with the same client_id, after the
//   reconnect; the server stores it once (client_id de-duplication).
// - 4001 (bad or expired token) and 4004 (no such stream) stop it: retrying
//   cannot help.
import { api, chatSocketUrl, streamPath } from './api.js';

const MAX_BACKOFF_MS = 8000;
const BACKFILL_PAGES = 20;
const RETRY_CODES = new Set(['shutting_down', 'internal']);
// Refusals of a vote. An `error` carries no client_id: these codes, and any
// other refusal while a vote waits and no chat event is in flight, answer the vote.
const VOTE_CODES = new Set(['already_voted', 'poll_closed', 'poll_not_found', 'invalid_option']);

// A client_id: random, and available outside secure contexts too.
export function newClientId() {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return 'w-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

// Orders messages as the server does: created_at, then id.
export function compareMessages(a, b) {
  if (a.created_at !== b.created_at) return a.created_at < b.created_at ? -1 : 1;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export class ChatConnection {
  // handlers: history(messages, {recovered, first, backfill}), message(m),
  // deleted(id), cleared(userId), pinned(m|null), viewers(n),
  // streamStatus(status), state(name, detail), sent(item, data),
  // refused(errorEvent, item|null), queue(items), poll(Poll), voted({poll_id, option}),
  // voteRefused(errorEvent)
  //
  // The pin: a connection's `pinned` event, if any, comes right after its
  // `history`, so a page takes each (non-backfill) history as "nothing
  // pinned" until a `pinned` event says otherwise. The open poll, if any,
  // comes as a `poll` event after those.
  constructor({ room, token, handlers }) {
    this.room = room;
    this.token = token;
    this.h = handlers;
    this.ws = null;
    this.live = false;        // history received on the current socket
    this.stopped = false;
    this.attempt = 0;
    this.timer = null;
    this.newest = null;       // the newest message seen: the since= cursor
    this.connects = 0;
    this.queue = [];          // {client_id, payload}, oldest first; queue[0] may be in flight
    this.inFlight = null;
    this.voting = null;       // the vote waiting for its answer: {poll_id, option}
    this.onOnline = () => { if (this.timer) this.connectNow(); };
  }

  start() {
    window.addEventListener('online', this.onOnline);
    this.connect();
    return this;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.onOnline);
    if (this.ws) this.ws.close(1000, 'page closed');
  }

  // Queues a chat or gift event; returns the queued item.
  send(payload) {
    const item = { client_id: newClientId(), payload };
    this.queue.push(item);
    this.h.queue?.(this.queue);
    this.pump();
    return item;
  }

  // Sends a vote at once (not queued: a vote is not worth sending after a
  // reconnect the viewer did not see). false when the connection is not live.
  vote(pollId, option) {
    if (!this.live || !this.ws) return false;
    this.voting = { poll_id: pollId, option };
    this.ws.send(JSON.stringify({ type: 'vote', poll_id: pollId, option }));
    return true;
  }

  connectNow() {
    clearTimeout(this.timer);
    this.timer = null;
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    this.live = false;
    this.h.state?.(this.connects ? 'reconnecting' : 'connecting');
    const ws = new WebSocket(chatSocketUrl(this.room, this.token, this.newest?.id));
    this.ws = ws;
    ws.addEventListener('message', (e) => { if (ws === this.ws) this.onEvent(e.data); });
    ws.addEventListener('close', (e) => { if (ws === this.ws) this.onClose(e); });
  }

  onClose(e) {
    this.ws = null;
    this.live = false;
    this.inFlight = null;  // sent again after the reconnect, same client_id
    this.voting = null;    // its answer is lost with the socket
    if (this.stopped) return;
    if (e.code === 4001) return this.h.state?.('unauthorized', e.reason);
    if (e.code === 4004) return this.h.state?.('unknown_stream', e.reason);
    const base = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt++);
    const delay = Math.round(base * (0.8 + Math.random() * 0.4));
    this.h.state?.('waiting', { delay, code: e.code });
    this.timer = setTimeout(() => { this.timer = null; this.connect(); }, delay);
  }

  seen(m) {
    if (!this.newest || compareMessages(m, this.newest) > 0) this.newest = m;
  }

  onEvent(raw) {
    let ev;
    try { ev = JSON.parse(raw); } catch { return; }
    switch (ev.type) {
      case 'history': return this.onHistory(ev);
      case 'message': this.seen(ev.data); return this.h.message?.(ev.data);
      case 'message_deleted': return this.h.deleted?.(ev.data.message_id);
      case 'chat_cleared': return this.h.cleared?.(ev.data.user_id);
      case 'pinned': return this.h.pinned?.(ev.data && ev.data.id ? ev.data : null);
      case 'viewer_count': return this.h.viewers?.(ev.data.count);
      case 'stream_status': return this.h.streamStatus?.(ev.data.status);
      case 'skipped': return this.h.skipped?.(ev.data);
      case 'poll': return ev.data?.id ? this.h.poll?.(ev.data) : undefined;
      case 'voted':
        if (this.voting?.poll_id === ev.data?.poll_id) this.voting = null;
        return this.h.voted?.(ev.data);
      case 'ack': return this.onAck(ev);
      case 'error': return this.onRefused(ev);
      default: return undefined;  // pong, and events this page does not use
    }
  }

  async onHistory(ev) {
    const since = this.newest;
    const first = this.connects++ === 0;
    const messages = Array.isArray(ev.data) ? ev.data : [];
    messages.forEach((m) => this.seen(m));
    this.h.history?.(messages, { recovered: ev.recovered, first });
    this.live = true;
    this.attempt = 0;
    this.h.state?.('live');
    this.pump();
    if (ev.recovered === false && since) await this.backfill(since.id);
  }

  // The server could not replay the gap: read it through REST history, newest
  // page first, until the page holding the last message seen.
  async backfill(sinceId) {
    const found = [];
    let before = null;
    try {
      for (let i = 0; i < BACKFILL_PAGES; i++) {
        const q = new URLSearchParams({ limit: '100' });
        if (before) q.set('before', before);
        const page = await api('GET', `${streamPath(this.room)}/chat/history?${q}`, { token: this.token });
        const at = page.messages.findIndex((m) => m.id === sinceId);
        found.unshift(...(at >= 0 ? page.messages.slice(at + 1) : page.messages));
        if (at >= 0 || !page.has_more) break;
        before = page.next_cursor;
      }
    } catch {
      return;  // the live events go on; the next reconnect tries again
    }
    found.forEach((m) => this.seen(m));
    this.h.history?.(found, { recovered: true, first: false, backfill: true });
  }

  pump() {
    if (!this.live || this.inFlight || !this.queue.length) return;
    this.inFlight = this.queue[0];
    const { client_id, payload } = this.inFlight;
    this.ws.send(JSON.stringify({ ...payload, client_id }));
  }

  finish() {
    const item = this.queue.shift();
    this.inFlight = null;
    this.h.queue?.(this.queue);
    return item;
  }

  onAck(ev) {
    if (!this.inFlight || ev.client_id !== this.inFlight.client_id) return;
    this.h.sent?.(this.finish(), ev.data);
    this.pump();
  }

  onRefused(ev) {
    if (VOTE_CODES.has(ev.code) || (this.voting && !this.inFlight)) {
      this.voting = null;
      return this.h.voteRefused?.(ev);
    }
    if (this.inFlight && RETRY_CODES.has(ev.code)) {
      // Not stored: keep it first in the queue and send it again, on the
      // next connection (shutting_down) or in a moment (internal).
      this.inFlight = null;
      this.h.refused?.(ev, null);
      if (ev.code === 'internal') setTimeout(() => this.pump(), 1000);
      return;
    }
    this.h.refused?.(ev, this.inFlight ? this.finish() : null);
    this.pump();
  }
}
