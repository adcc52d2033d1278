// render.js: how a chat message looks, on the chat page and the overlay.
// The seed's display: 💎 for premium, Lv.N, the display name, badges beside
// it; a gift as a gift with its stars. Every user-supplied string goes in as
// text (dom.js).
import { el } from './dom.js';

const GIFT_ICONS = { star: '🌟', heart: '❤️', clap: '👏', rose: '🌹', crown: '👑' };
export const giftIcon = (giftId) => GIFT_ICONS[giftId] || '🎁';

const BADGES = {
  broadcaster: { label: 'Host', title: 'Broadcaster' },
  moderator: { label: 'Mod', title: 'Moderator' },
  vip: { label: 'VIP', title: 'VIP' },
  subscriber: { label: 'Sub', title: 'Subscriber' },
  verified: { label: '✓', title: 'Verified' },
};

export function badgeList(badges) {
  return (badges || []).filter((b) => BADGES[b]).map((b) =>
    el('span', { class: `badge badge-${b}`, text: BADGES[b].label, title: BADGES[b].title }));
}

// "💎Lv.25 " before the name, as the seed prints it.
export function rankText(user) {
  return `${user.is_premium ? '💎' : ''}Lv.${Number(user.level) || 0}`;
}

export function timeText(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

export function starsText(n) {
  return `${n} ${n === 1 ? 'star' : 'stars'}`;
}

// The name line: badges, 💎Lv.N, display name.
export function whoLine(user) {
  return el('span', { class: 'who' },
    el('span', { class: 'badges' }, badgeList(user.badges)),
    el('span', { class: 'rank', text: rankText(user) }),
    el('span', { class: 'name', text: user.display_name || user.username || user.id, title: `@${user.username || user.id}` }));
}

function giftBody(m) {
  const g = m.gift || {};
  return el('span', { class: 'gift-body' },
    el('span', { class: 'gift-icon', text: giftIcon(g.gift_id), 'aria-hidden': 'true' }),
    el('span', { class: 'gift-what', text: `sent ${g.quantity}× ${g.gift_name}` }),
    el('span', { class: 'stars', text: `⭐ ${starsText(m.stars ?? g.total_stars ?? 0)}` }),
    m.content ? el('span', { class: 'text', text: m.content }) : null);
}

export const displayName = (user) => user?.display_name || user?.username || user?.id || '';

// What a quote or the pin bar says of a message: its text, or for a gift what was sent.
export function gist(m) {
  if (m.message_type !== 'gift' || !m.gift) return m.content || '';
  const sent = `${giftIcon(m.gift.gift_id)} sent ${m.gift.quantity}× ${m.gift.gift_name}`;
  return m.content ? `${sent}: ${m.content}` : sent;
}

// The pinned message, as the pin bar shows it: 📌 NAME: text.
export function pinBody(m) {
  return el('p', { class: 'pin-body' },
    el('span', { class: 'pin-icon', text: '📌', title: 'Pinned message', 'aria-label': 'Pinned message' }),
    el('span', { class: 'name', text: displayName(m.user), title: `@${m.user?.username || m.user?.id || ''}` }),
    el('span', { class: 'pin-text', text: gist(m) }));
}

// One message as a list item (data-id, data-user for deletes and purges).
// quotes (replies.js): draws the quoted parent above a reply.
export function messageItem(m, { showTime = true, quotes = null } = {}) {
  const kind = m.message_type === 'gift' ? 'gift' : m.message_type === 'moderation' || m.message_type === 'system' ? 'notice' : 'chat';
  const li = el('li', { class: `msg msg-${kind}`, data: { id: m.id, user: m.user?.id ?? '' } });
  if (m.reply_to && quotes && kind !== 'notice') li.append(quotes.quote(m.reply_to));
  if (showTime) li.append(el('time', { class: 'time', text: timeText(m.created_at), datetime: m.created_at }));
  if (kind === 'notice') {
    li.append(el('span', { class: 'text', text: m.content }));
    return li;
  }
  li.append(whoLine(m.user || {}));
  li.append(kind === 'gift' ? giftBody(m) : el('span', { class: 'text', text: m.content }));
  return li;
}
