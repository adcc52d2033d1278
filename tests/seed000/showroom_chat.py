# The Python example of seed 000 ("Showroom Chat Stream"), as the seed prints
# it, indentation restored (the seed's text lost it). Nothing else is changed:
# tests/integration/seed000.test.mjs replaces only API_KEY, BASE_URL and the
# room id "123456" before running it with Debian's python3 and python3-requests.
import requests
import time
from datetime import datetime
from collections import Counter, defaultdict

API_KEY = 'YOUR_API_KEY'
BASE_URL = 'https://v2.jkt48connect.my.id'

def get_showroom_chat_stream(room_id, **options):
    """Fetch showroom chat stream data"""
    params = {'room_id': room_id, 'apikey': API_KEY, **options}
    url = f"{BASE_URL}/api/jkt48/chat-stream-sr"

    try:
        response = requests.get(url, params=params)
        response.raise_for_status()
        return response.json()
    except requests.exceptions.RequestException as e:
        print(f"Error fetching showroom chat stream: {e}")
        raise

def get_recent_showroom_messages(room_id, limit=20):
    """Get recent showroom chat messages"""
    return get_showroom_chat_stream(room_id, limit=limit)

def format_showroom_chat_message(message):
    """Format showroom chat message for display"""
    time_str = datetime.fromisoformat(message['timestamp'].replace('Z', '+00:00')).strftime('%H:%M:%S')
    level = f"Lv.{message['user']['level']}"
    premium = '💎' if message['user']['is_premium'] else ''

    return {
        'id': message['id'],
        'time': time_str,
        'user': f"{premium}{level} {message['user']['display_name']}",
        'text': message['message'],
        'stars': message['stars'],
        'is_gift': message['type'] == 'gift',
        'gifts': message.get('gifts')
    }

def display_showroom_live_chat(room_id):
    """Display showroom live chat messages"""
    try:
        data = get_showroom_chat_stream(room_id)

        print(f"=== SHOWROOM LIVE CHAT: {data['stream_info']['title']} ===")
        print(f"Member: {data['stream_info']['member']['name']} ({data['stream_info']['member']['team']})")
        print(f"Viewers: {data['stream_info']['viewers']} | Duration: {data['stream_info']['duration']}")
        print(f"Messages/min: {data['stats']['messages_per_minute']} | Total Stars: {data['stats']['total_stars']}")
        print(f"Top gifts: {' '.join(data['stats']['top_gifts'])}")
        print("\n--- RECENT MESSAGES ---")

        for msg in data['chat_messages']:
            formatted = format_showroom_chat_message(msg)
            if formatted['is_gift']:
                gifts = formatted['gifts']
                print(f"🎁 [{formatted['time']}] {formatted['user']} sent {gifts['quantity']}x {gifts['gift_name']} ({formatted['stars']} stars)")
            else:
                print(f"💬 [{formatted['time']}] {formatted['user']}: {formatted['text']}")

    except Exception as e:
        print(f"Error displaying showroom chat: {e}")

def monitor_showroom_chat(room_id, duration=60):
    """Monitor showroom chat for specified duration"""
    start_time = time.time()
    last_timestamp = datetime.now().isoformat()

    print(f"Monitoring showroom chat for {duration} seconds...")

    while time.time() - start_time < duration:
        try:
            data = get_showroom_chat_stream(room_id, since=last_timestamp, limit=5)

            if data['chat_messages']:
                for msg in data['chat_messages']:
                    formatted = format_showroom_chat_message(msg)
                    if formatted['is_gift']:
                        gifts = formatted['gifts']
                        print(f"🔴🎁 [{formatted['time']}] {formatted['user']} sent {gifts['quantity']}x {gifts['gift_name']}")
                    else:
                        print(f"🔴💬 [{formatted['time']}] {formatted['user']}: {formatted['text']}")

                last_timestamp = data['chat_messages'][0]['timestamp']

            time.sleep(3)  # Wait 3 seconds

        except Exception as e:
            print(f"Monitoring error: {e}")
            time.sleep(5)

def analyze_showroom_chat_data(chat_data):
    """Analyze showroom chat statistics"""
    messages = chat_data['chat_messages']
    gift_messages = [m for m in messages if m['type'] == 'gift']
    chat_messages = [m for m in messages if m['type'] == 'chat']

    user_ids = [msg['user']['user_id'] for msg in messages]
    user_levels = [msg['user']['level'] for msg in messages]

    return {
        'total_messages': len(messages),
        'chat_messages': len(chat_messages),
        'gift_messages': len(gift_messages),
        'unique_users': len(set(user_ids)),
        'total_stars': sum(msg['stars'] for msg in messages),
        'average_user_level': sum(user_levels) / len(user_levels) if user_levels else 0,
        'premium_users': len([m for m in messages if m['user']['is_premium']]),
        'top_gifters': get_top_gifters(gift_messages)
    }

def track_showroom_gifts(chat_data):
    """Track gift statistics"""
    gift_messages = [m for m in chat_data['chat_messages'] if m['type'] == 'gift']
    gift_stats = defaultdict(lambda: {'count': 0, 'total_stars': 0})

    for msg in gift_messages:
        gift_name = msg['gifts']['gift_name']
        gift_stats[gift_name]['count'] += msg['gifts']['quantity']
        gift_stats[gift_name]['total_stars'] += msg['stars']

    return sorted(
        [{'name': name, **stats} for name, stats in gift_stats.items()],
        key=lambda x: x['total_stars'],
        reverse=True
    )

# Usage example
if __name__ == "__main__":
    # Example: Display chat for a showroom live stream
    display_showroom_live_chat("123456")
