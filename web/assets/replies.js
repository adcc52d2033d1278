// replies.js: the quote of the parent drawn above a reply (CONTRACT §12), on
// the chat page and the overlay: "↩ NAME: the first 60 characters…".
//
// A parent is looked up among the messages the page has seen (learn()); one it
// has not seen is fetched once, GET …/chat/messages/{id} (with the page's
// login, when it has one). A parent that is
// deleted (message_deleted, a purge of its author, or a 404
// message_not_found) is quoted as "↩ (deleted message)". Every quote of the
// same parent is redrawn when what is known of it changes. Text goes in as
// text (dom.js).
import { ApiError, api, streamPath } from './api.js';
import { clear, el } from './dom.js';
import { displayName, gist } from './render.js';

const QUOTE_CHARS = 60;
const KEEP = 2000;          // parents remembered (oldest forgotten first)
const DELETED = 'deleted';
const UNAVAILABLE = 'unavailable';

// The start of a text, whitespace folded: at most n characters, "…" when cut.
export function startOf(text, n = QUOTE_CHARS) {
  const chars = [...String(text ?? '').replace(/\s+/g, ' ').trim()];
  return chars.length > n ? chars.slice(0, n).join('').trimEnd() + '…' : chars.join('');
}

export class ReplyQuotes {
  constructor(room, token = null) {
    this.room = room;
    this.token = token;
    this.known = new Map();    // message id → {userId, name, text} | DELETED | UNAVAILABLE
    this.fetching = new Set(); // ids asked for once, answer pending
    this.quotes = new Map();   // parent id → Set of quote elements
  }

  // Messages the page has: possible parents.
  learn(...messages) {
    for (const m of messages.flat()) {
      if (!m?.id || this.known.get(m.id) === DELETED) continue;
      this.remember(m.id, { userId: m.user?.id ?? '', name: displayName(m.user), text: gist(m) });
    }
  }

  remember(id, value) {
    this.known.delete(id);
    this.known.set(id, value);
    while (this.known.size > KEEP) this.known.delete(this.known.keys().next().value);
    this.redraw(id);
  }

  deleted(id) {
    this.remember(id, DELETED);
  }

  // A purge: every message of that user the page knows is gone.
  cleared(userId) {
    for (const [id, v] of [...this.known]) if (v?.userId === userId) this.deleted(id);
  }

  // A quote element for parent `id`; kept up to date.
  quote(id) {
    const node = el('span', { class: 'reply-quote', data: { replyTo: id } });
    if (!this.quotes.has(id)) this.quotes.set(id, new Set());
    this.quotes.get(id).add(node);
    this.draw(node, id);
    if (!this.known.has(id)) this.fetch(id);
    if (this.quotes.size > KEEP) this.prune();
    return node;
  }

  draw(node, id) {
    const v = this.known.get(id);
    clear(node);
    node.classList.toggle('reply-gone', v === DELETED || v === UNAVAILABLE);
    node.append(el('span', { class: 'quote-mark', text: '↩', 'aria-hidden': 'true' }), ' ');
    if (v === DELETED) node.append(el('span', { class: 'quote-text', text: '(deleted message)' }));
    else if (v === UNAVAILABLE) node.append(el('span', { class: 'quote-text', text: '(earlier message)' }));
    else if (!v) node.append(el('span', { class: 'quote-text', text: '…' }));
    else node.append(el('span', { class: 'quote-name', text: v.name }), ': ', el('span', { class: 'quote-text', text: startOf(v.text) }));
    node.title = v && typeof v === 'object' ? `Reply to ${v.name}` : 'Reply';
  }

  redraw(id) {
    const nodes = this.quotes.get(id);
    if (!nodes) return;
    for (const node of nodes) if (node.isConnected) this.draw(node, id);
  }

  // Forgets quotes no longer on the page.
  prune() {
    for (const [id, nodes] of this.quotes) {
      for (const node of nodes) if (!node.isConnected) nodes.delete(node);
      if (!nodes.size) this.quotes.delete(id);
    }
  }

  async fetch(id) {
    if (this.fetching.has(id)) return;
    this.fetching.add(id);
    let value;
    try {
      const res = await api('GET', `${streamPath(this.room)}/chat/messages/${encodeURIComponent(id)}`, { token: this.token });
      const m = res?.data;
      value = m?.id ? { userId: m.user?.id ?? '', name: displayName(m.user), text: gist(m) } : UNAVAILABLE;
    } catch (err) {
      value = err instanceof ApiError && err.code === 'message_not_found' ? DELETED : UNAVAILABLE;
    }
    this.fetching.delete(id);
    // Something the page learned meanwhile (the message itself, or its deletion) wins.
    if (!this.known.has(id)) this.remember(id, value);
  }
}
