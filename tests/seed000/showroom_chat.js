// The JavaScript example of seed 000 ("Showroom Chat Stream", Implementation
// Examples), as the seed prints it. tests/integration/seed000.test.mjs replaces only
// API_KEY and BASE_URL, then calls the example's functions with Node 20 (global fetch).
const API_KEY = 'YOUR_API_KEY';
const BASE_URL = 'https://v2.jkt48connect.my.id';
async function getShowroomChatStream(roomId, options = {}) {
const params = new URLSearchParams({
room_id: roomId,
apikey: API_KEY,
...options
});
try {
const response = await fetch(
`${BASE_URL}/api/jkt48/chat-stream-sr?${params}`
);
if (!response.ok) {
throw new Error(`HTTP ${response.status}: ${response.statusText}`);
}
return await response.json();
} catch (error) {
console.error('Failed to fetch showroom chat stream:', error);
throw error;
}
}
// Get recent chat messages
async function getRecentShowroomMessages(roomId, limit = 20) {
return await getShowroomChatStream(roomId, { limit });
}
// Poll for new messages
async function pollShowroomChatMessages(roomId, callback) {
let lastTimestamp = new Date().toISOString();
const poll = async () => {
try {
const data = await getShowroomChatStream(roomId, {
since: lastTimestamp,
limit: 10
});
if (data.chat_messages.length > 0) {
callback(data.chat_messages);
lastTimestamp = data.chat_messages[0].timestamp;
}
} catch (error) {
console.error('Polling error:', error);
}
};
// Poll every 2 seconds
setInterval(poll, 2000);
poll(); // Initial call
}
// Format chat message
function formatShowroomChatMessage(message) {
const time = new Date(message.timestamp).toLocaleTimeString('id-ID');
const level = `Lv.${message.user.level}`;
const premium = message.user.is_premium ? '💎' : '';
return {
id: message.id,
time: time,
user: `${premium}${level} ${message.user.display_name}`,
text: message.message,
stars: message.stars,
isGift: message.type === 'gift',
gifts: message.gifts
};
}
// Display live chat
async function displayShowroomLiveChat(roomId) {
try {
const data = await getShowroomChatStream(roomId);
console.log(`=== SHOWROOM LIVE CHAT: ${data.stream_info.title} ===`);
console.log(`Member: ${data.stream_info.member.name} (${data.stream_info.member.team})`);
console.log(`Viewers: ${data.stream_info.viewers} | Duration: ${data.stream_info.duration}`);
console.log(`Messages/min: ${data.stats.messages_per_minute} | Total Stars: ${data.stats.total_stars}`);
console.log('Top gifts:', data.stats.top_gifts.join(' '));
console.log('\n--- RECENT MESSAGES ---');
data.chat_messages.forEach(msg => {
const formatted = formatShowroomChatMessage(msg);
if (formatted.isGift) {
console.log(`🎁 [${formatted.time}] ${formatted.user} sent ${formatted.gifts.quantity}x ${formatted.gifts.gift_name} (${formatted.stars} stars)`);
} else {
console.log(`💬 [${formatted.time}] ${formatted.user}: ${formatted.text}`);
}
});
} catch (error) {
console.error('Error displaying showroom chat:', error);
}
}
// Chat analytics
function analyzeShowroomChatData(chatData) {
const messages = chatData.chat_messages;
const giftMessages = messages.filter(m => m.type === 'gift');
const chatMessages = messages.filter(m => m.type === 'chat');
return {
totalMessages: messages.length,
chatMessages: chatMessages.length,
giftMessages: giftMessages.length,
uniqueUsers: new Set(messages.map(m => m.user.user_id)).size,
totalStars: messages.reduce((sum, m) => sum + m.stars, 0),
averageUserLevel: messages.reduce((sum, m) => sum + m.user.level, 0) / messages.length,
premiumUsers: messages.filter(m => m.user.is_premium).length,
topGivers: getTopGivers(giftMessages)
};
}
// Real-time showroom chat monitor
class ShowroomChatMonitor {
constructor(roomId) {
this.roomId = roomId;
this.isMonitoring = false;
}
start(onMessage) {
if (this.isMonitoring) return;
this.isMonitoring = true;
pollShowroomChatMessages(this.roomId, (messages) => {
messages.forEach(msg => {
const formatted = formatShowroomChatMessage(msg);
onMessage(formatted);
});
});
}
stop() {
this.isMonitoring = false;
}
}
// Gift tracking
function trackGifts(chatData) {
const giftMessages = chatData.chat_messages.filter(m => m.type === 'gift');
const giftStats = {};
giftMessages.forEach(msg => {
const giftName = msg.gifts.gift_name;
if (!giftStats[giftName]) {
giftStats[giftName] = { count: 0, total_stars: 0 };
}
giftStats[giftName].count += msg.gifts.quantity;
giftStats[giftName].total_stars += msg.stars;
});
return Object.entries(giftStats)
.sort(([, a], [, b]) => b.total_stars - a.total_stars)
.map(([name, stats]) => ({ name, ...stats }));
}
