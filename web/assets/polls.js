// polls.js: the poll card (CONTRACT §12) on the chat page and the overlay.
//
// The card shows one poll: the question, a row per option with a bar as wide
// as its share of the votes (CSS animates the width), its count and
// percentage, the total and a countdown to ends_at. On the chat page a row is
// a button while the viewer may still vote; once closed the card says "Final
// result" and marks the winner. The card is built once per poll and updated
// in place, so the bars glide from one count to the next.
//
// The server is the judge of votes; the page only remembers locally (per user
// and poll, in localStorage) which option it voted for, so that a reload
// shows it. Text goes in as text (dom.js).
import { api, streamPath } from './api.js';
import { clear, el, say } from './dom.js';

const VOTES_KEY = 'sorak.poll-votes';
const VOTES_KEPT = 100;
const STALE_MS = 3000;       // an open poll this long past its deadline is read again
const REFRESH_EVERY_MS = 5000;

export const percent = (votes, total) => (total > 0 ? Math.round((votes * 100) / total) : 0);
export const votesText = (n) => `${n} ${n === 1 ? 'vote' : 'votes'}`;
const quoted = (text) => `“${text}”`;

// "1:05" for 65 s.
export function clockText(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

// The indexes of the options with the most votes (none when nobody voted).
export function winners(poll) {
  const max = Math.max(0, ...poll.options.map((o) => Number(o.votes) || 0));
  return max > 0 ? poll.options.flatMap((o, i) => (o.votes === max ? [i] : [])) : [];
}

// "River wins with 2 of 3 votes (67%)." / "Tie: A and B, 1 vote each." / "No votes."
export function resultText(poll) {
  const top = winners(poll);
  const total = poll.total_votes;
  if (!top.length) return 'No votes.';
  const names = top.map((i) => poll.options[i].text);
  const votes = poll.options[top[0]].votes;
  if (top.length === 1) return `${names[0]} wins with ${votes} of ${votesText(total)} (${percent(votes, total)}%).`;
  return `Tie: ${names.slice(0, -1).join(', ')} and ${names.at(-1)}, ${votesText(votes)} each.`;
}

// ---- what this browser voted ----------------------------------------------

function readVotes() {
  try { return JSON.parse(localStorage.getItem(VOTES_KEY)) || {}; } catch { return {}; }
}

// The option this browser voted for in the poll as this user: an index, -1 when
// the server said "already voted" without the page knowing the choice, or null.
export function rememberedVote(userId, pollId) {
  const v = readVotes()[`${userId} ${pollId}`];
  return Number.isInteger(v) ? v : null;
}

export function rememberVote(userId, pollId, option) {
  const votes = readVotes();
  const key = `${userId} ${pollId}`;
  if (option === -1 && Number.isInteger(votes[key]) && votes[key] >= 0) return;  // a known choice stays
  delete votes[key];
  votes[key] = option;
  const keys = Object.keys(votes);
  for (const k of keys.slice(0, Math.max(0, keys.length - VOTES_KEPT))) delete votes[k];
  try { localStorage.setItem(VOTES_KEY, JSON.stringify(votes)); } catch { /* private mode: this page only */ }
}

// ---- the card ---------------------------------------------------------------

// new PollCard(root, {room, token, onVote(i), onEnd(), onDismiss(), linger})
//   root      an empty element (hidden until a poll shows)
//   onVote    given: rows are buttons while the viewer may vote (setVoting)
//   onEnd     given: an "End poll" button while open (CSS .mod-only decides who sees it)
//   onDismiss given: a ✕ once closed
//   linger    seconds a final result stays before the card goes (0: until dismissed)
//   onVisible(shown) called when the card appears or goes
export class PollCard {
  constructor(root, { room, token = null, onVote = null, onEnd = null, onDismiss = null, linger = 0, onVisible = null } = {}) {
    Object.assign(this, { root, room, token, onVote, onEnd, onDismiss, linger, onVisible });
    this.poll = null;
    this.mine = null;          // the option voted for, -1 (voted, choice unknown) or null
    this.canVote = false;      // the page's viewer may vote at all
    this.busy = false;         // a vote is on its way
    this.rows = [];
    this.dismissed = new Set();
    this.refreshedAt = 0;
    this.lingerTimer = null;
    this.clock = setInterval(() => this.tick(), 1000);
  }

  get open() { return this.poll?.status === 'open'; }

  // Takes a Poll from a `poll` event or a REST answer. Counts only grow and a
  // poll only closes, so an answer older than what is shown is ignored.
  show(poll) {
    if (!poll?.id || !Array.isArray(poll.options) || this.dismissed.has(poll.id)) return false;
    const same = this.poll?.id === poll.id;
    if (same && this.poll.status === 'closed' && poll.status !== 'closed') return false;
    if (same && poll.status === this.poll.status && poll.total_votes < this.poll.total_votes) return false;
    // A late final result of an older poll does not replace the open one.
    if (!same && this.open && poll.status === 'closed') return false;
    if (!same || poll.options.length !== this.rows.length) {
      this.build(poll);
      void this.root.offsetWidth;  // laid out with empty bars: they grow to their share
    }
    const closing = poll.status === 'closed' && this.poll?.status !== 'closed';
    this.poll = poll;
    if (!same) {
      say(this.status, '');
      this.busy = false;
    }
    this.update();
    if (closing && this.linger) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = setTimeout(() => { if (this.poll?.id === poll.id) this.dismiss(); }, this.linger * 1000);
    }
    return true;
  }

  hide() {
    clearTimeout(this.lingerTimer);
    this.poll = null;
    this.rows = [];
    this.mine = null;
    this.busy = false;
    clear(this.root);
    this.root.hidden = true;
    delete this.root.dataset.pollId;
    this.onVisible?.(false);
  }

  dismiss() {
    if (this.poll) this.dismissed.add(this.poll.id);
    this.hide();
  }

  setMine(option) {
    this.mine = option;
    this.busy = false;
    this.update();
  }

  setVoting(canVote) {
    this.canVote = canVote;
    this.update();
  }

  setBusy(busy) {
    this.busy = busy;
    this.update();
  }

  say(text, tone = 'info') {
    if (this.status) say(this.status, text, tone);
  }

  build(poll) {
    clear(this.root);
    this.root.hidden = false;
    this.root.dataset.pollId = poll.id;
    this.label = el('span', { class: 'poll-label' });
    this.time = el('span', { class: 'poll-time' });
    this.endButton = this.onEnd && el('button', { class: 'small poll-end mod-only', type: 'button', text: 'End poll',
      title: 'Close this poll now', onclick: () => this.onEnd(this.poll) });
    this.dismissButton = this.onDismiss && el('button', { class: 'icon poll-dismiss', type: 'button', text: '✕',
      title: 'Dismiss', 'aria-label': 'Dismiss the poll result', onclick: () => this.onDismiss(this.poll) });
    const list = el('ol', { class: 'poll-options' });
    this.rows = poll.options.map((o, i) => {
      const fill = el('span', { class: 'poll-fill', 'aria-hidden': 'true' });
      const text = el('span', { class: 'poll-text', text: o.text });
      const mark = el('span', { class: 'poll-mark', 'aria-hidden': 'true' });
      const pct = el('span', { class: 'poll-pct' });
      const votes = el('span', { class: 'poll-votes' });
      const count = el('span', { class: 'poll-count' }, votes, pct);
      const row = this.onVote
        ? el('button', { class: 'poll-row', type: 'button', onclick: () => this.vote(i) }, fill, text, mark, count)
        : el('div', { class: 'poll-row' }, fill, text, mark, count);
      const li = el('li', { class: 'poll-option', data: { index: i } }, row);
      list.append(li);
      return { li, row, fill, mark, pct, votes };
    });
    this.question = el('p', { class: 'poll-question', text: poll.question });
    this.total = el('span', { class: 'poll-total' });
    this.note = el('span', { class: 'poll-note' });
    this.status = el('p', { class: 'status poll-status', role: 'status', hidden: true });
    this.root.append(
      el('div', { class: 'poll-head' }, el('span', { class: 'poll-icon', text: '📊', 'aria-hidden': 'true' }),
        this.label, this.time, this.endButton, this.dismissButton),
      this.question, list, el('p', { class: 'poll-foot' }, this.total, this.note), this.status);
    this.root.setAttribute('aria-label', `Poll: ${poll.question}`);
    this.onVisible?.(true);
  }

  vote(i) {
    if (!this.votable()) return;
    this.onVote(this.poll, i);
  }

  votable() {
    return !!this.onVote && this.canVote && this.open && this.mine === null && !this.busy;
  }

  update() {
    const p = this.poll;
    if (!p) return;
    const closed = p.status === 'closed';
    const total = p.total_votes;
    const top = closed ? new Set(winners(p)) : new Set();
    const votable = this.votable();
    this.root.dataset.status = p.status;
    this.root.classList.toggle('poll-voting', votable);
    this.label.textContent = closed ? 'Final result' : 'Poll';
    this.rows.forEach((r, i) => {
      const o = p.options[i];
      const share = total > 0 ? (o.votes * 100) / total : 0;
      r.fill.style.width = `${share}%`;
      r.votes.textContent = String(o.votes);
      r.pct.textContent = `${percent(o.votes, total)}%`;
      r.li.toggleAttribute('data-mine', this.mine === i);
      r.li.toggleAttribute('data-winner', top.has(i));
      r.mark.textContent = top.has(i) ? '🏆' : this.mine === i ? '✓' : '';
      if (r.row.tagName === 'BUTTON') {
        r.row.disabled = !votable;
        r.row.setAttribute('aria-label', `${o.text}: ${votesText(o.votes)}, ${percent(o.votes, total)}%`
          + (this.mine === i ? ', your vote' : '') + (top.has(i) ? ', winner' : ''));
      }
    });
    this.total.textContent = votesText(total);
    if (this.endButton) this.endButton.hidden = closed;
    if (this.dismissButton) this.dismissButton.hidden = !closed;
    this.note.textContent = this.noteText();
    this.tick();
  }

  noteText() {
    const p = this.poll;
    if (p.status === 'closed') return resultText(p);
    if (this.mine !== null && this.mine >= 0) return `You voted for ${quoted(p.options[this.mine]?.text ?? '?')}.`;
    if (this.mine === -1) return 'You have voted.';
    if (!this.onVote) return '';
    if (this.busy) return 'Voting…';
    return this.canVote ? 'Pick an option to vote.' : '';
  }

  // The countdown; an open poll well past its deadline is read again (its
  // closing event may have been missed while the connection was down).
  tick() {
    const p = this.poll;
    if (!p) return;
    if (p.status === 'closed') {
      this.time.textContent = 'Closed';
      return;
    }
    const left = Date.parse(p.ends_at) - Date.now();
    this.time.textContent = left > 0 ? `${clockText(left)} left` : 'Closing…';
    if (left < -STALE_MS && Date.now() - this.refreshedAt > REFRESH_EVERY_MS) this.refresh();
  }

  // Reads the shown poll again (after a reconnect, or when its end is late).
  async refresh() {
    const id = this.poll?.id;
    if (!id || !this.token) return;
    this.refreshedAt = Date.now();
    try {
      const res = await api('GET', `${streamPath(this.room)}/polls/${encodeURIComponent(id)}`, { token: this.token });
      if (this.poll?.id === id) this.show(res.data);
    } catch (err) {
      if (err.code === 'poll_not_found' && this.poll?.id === id) this.hide();
    }
  }
}
