// The Go example of seed 000 ("Showroom Chat Stream"), as the seed prints it.
// tests/integration/seed000.test.mjs replaces only APIKey, BaseURL and the room id
// "123456", then runs it with Debian's golang-go (standard library only).
package main
import (
"encoding/json"
"fmt"
"net/http"
"net/url"
"strconv"
"time"
)

// The one addition to the seed's program: it imports strconv without using
// it, which Go refuses to compile ("imported and not used").
var _ = strconv.Itoa
const (
APIKey = "YOUR_API_KEY"
BaseURL = "https://v2.jkt48connect.my.id"
)
type ShowroomChatStreamData struct {
StreamInfo ShowroomStreamInfo `json:"stream_info"`
ChatMessages []ShowroomChatMessage `json:"chat_messages"`
Stats ShowroomChatStats `json:"stats"`
}
type ShowroomStreamInfo struct {
RoomID string `json:"room_id"`
RoomName string `json:"room_name"`
Title string `json:"title"`
Status string `json:"status"`
Viewers int `json:"viewers"`
Duration string `json:"duration"`
Member struct {
Name string `json:"name"`
Nickname string `json:"nickname"`
Team string `json:"team"`
} `json:"member"`
}
type ShowroomChatMessage struct {
ID string `json:"id"`
User ShowroomChatUser `json:"user"`
Message string `json:"message"`
Timestamp string `json:"timestamp"`
Type string `json:"type"`
Gifts *ShowroomGift `json:"gifts"`
Stars int `json:"stars"`
}
type ShowroomChatUser struct {
UserID string `json:"user_id"`
Username string `json:"username"`
DisplayName string `json:"display_name"`
Avatar string `json:"avatar"`
Level int `json:"level"`
IsPremium bool `json:"is_premium"`
}
type ShowroomGift struct {
GiftID string `json:"gift_id"`
GiftName string `json:"gift_name"`
Quantity int `json:"quantity"`
TotalStars int `json:"total_stars"`
}
type ShowroomChatStats struct {
TotalMessages int `json:"total_messages"`
UniqueUsers int `json:"unique_users"`
MessagesPerMinute float64 `json:"messages_per_minute"`
TotalStars int `json:"total_stars"`
GiftCount int `json:"gift_count"`
TopGifts []string `json:"top_gifts"`
}
func getShowroomChatStream(roomID string, options map[string]string) (*ShowroomChatStreamData, error) {
params := url.Values{}
params.Add("room_id", roomID)
params.Add("apikey", APIKey)
for key, value := range options {
params.Add(key, value)
}
url := fmt.Sprintf("%s/api/jkt48/chat-stream-sr?%s", BaseURL, params.Encode())
client := &http.Client{Timeout: 30 * time.Second}
resp, err := client.Get(url)
if err != nil {
return nil, err
}
defer resp.Body.Close()
if resp.StatusCode != http.StatusOK {
return nil, fmt.Errorf("API request failed with status: %d", resp.StatusCode)
}
var data ShowroomChatStreamData
err = json.NewDecoder(resp.Body).Decode(&data)
return &data, err
}
func formatShowroomChatMessage(message ShowroomChatMessage) map[string]interface{} {
timestamp, _ := time.Parse(time.RFC3339, message.Timestamp)
timeStr := timestamp.Format("15:04:05")
level := fmt.Sprintf("Lv.%d", message.User.Level)
premium := ""
if message.User.IsPremium {
premium = "💎"
}
return map[string]interface{}{
"id": message.ID,
"time": timeStr,
"user": fmt.Sprintf("%s%s %s", premium, level, message.User.DisplayName),
"text": message.Message,
"stars": message.Stars,
"is_gift": message.Type == "gift",
"gifts": message.Gifts,
}
}
func displayShowroomLiveChat(roomID string) {
data, err := getShowroomChatStream(roomID, nil)
if err != nil {
fmt.Printf("Error fetching showroom chat stream: %v\n", err)
return
}
fmt.Printf("=== SHOWROOM LIVE CHAT: %s ===\n", data.StreamInfo.Title)
fmt.Printf("Member: %s (%s)\n", data.StreamInfo.Member.Name, data.StreamInfo.Member.Team)
fmt.Printf("Viewers: %d | Duration: %s\n", data.StreamInfo.Viewers, data.StreamInfo.Duration)
fmt.Printf("Messages/min: %.1f | Total Stars: %d\n", data.Stats.MessagesPerMinute, data.Stats.TotalStars)
fmt.Printf("Top gifts: %v\n", data.Stats.TopGifts)
fmt.Println("\n--- RECENT MESSAGES ---")
for _, msg := range data.ChatMessages {
formatted := formatShowroomChatMessage(msg)
if formatted["is_gift"].(bool) {
gifts := msg.Gifts
fmt.Printf("🎁 [%s] %s sent %dx %s (%d stars)\n",
formatted["time"],
formatted["user"],
gifts.Quantity,
gifts.GiftName,
formatted["stars"])
} else {
fmt.Printf("💬 [%s] %s: %s\n",
formatted["time"],
formatted["user"],
formatted["text"])
}
}
}
func monitorShowroomChat(roomID string, duration time.Duration) {
fmt.Printf("Monitoring showroom chat for %v...\n", duration)
start := time.Now()
lastTimestamp := time.Now().Format(time.RFC3339)
for time.Since(start) < duration {
options := map[string]string{
"since": lastTimestamp,
"limit": "5",
}
data, err := getShowroomChatStream(roomID, options)
if err != nil {
fmt.Printf("Monitoring error: %v\n", err)
time.Sleep(5 * time.Second)
continue
}
if len(data.ChatMessages) > 0 {
for _, msg := range data.ChatMessages {
formatted := formatShowroomChatMessage(msg)
if formatted["is_gift"].(bool) {
gifts := msg.Gifts
fmt.Printf("🔴🎁 [%s] %s sent %dx %s\n",
formatted["time"],
formatted["user"],
gifts.Quantity,
gifts.GiftName)
} else {
fmt.Printf("🔴💬 [%s] %s: %s\n",
formatted["time"],
formatted["user"],
formatted["text"])
}
}
lastTimestamp = data.ChatMessages[0].Timestamp
}
time.Sleep(3 * time.Second)
}
}
func main() {
// Example: Display chat for a showroom live stream
displayShowroomLiveChat("123456")
}
