// video.js: the stream's video beside the chat (CONTRACT §12). A stream's
// `playback_url` is an HLS playlist; the browser plays it itself where it
// can (Safari, newer Chrome: video.canPlayType says so), and elsewhere
// hls.js does, loaded only then from the server's own /assets/vendor/hls.js
// (nothing is fetched from another origin for the page itself). Muted
// autoplay with controls, as live sites do. A playback error is said in
// words in the video area, once: no retry loop.

const HLS_TYPE = 'application/vnd.apple.mpegurl';
const HLS_SCRIPT = '/assets/vendor/hls.js';

let hlsLoading = null;

// Loads hls.js (its UMD build defines window.Hls) once; resolves with Hls.
function loadHls() {
  if (window.Hls) return Promise.resolve(window.Hls);
  if (!hlsLoading) {
    hlsLoading = new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = HLS_SCRIPT;
      script.async = true;
      script.addEventListener('load', () => (window.Hls ? resolve(window.Hls) : reject(new Error('hls.js did not load'))));
      script.addEventListener('error', () => { hlsLoading = null; reject(new Error('hls.js could not be loaded')); });
      document.head.append(script);
    });
  }
  return hlsLoading;
}

// What a MediaError code means, in words.
const MEDIA_ERRORS = {
  1: 'Playback was stopped.',
  2: 'The video cannot be loaded (network error).',
  3: 'The video cannot be decoded.',
  4: 'The video cannot be played: its address gives nothing this browser can play.',
};

// An http(s) URL, or null.
export function playbackUrl(stream) {
  const url = stream?.playback_url;
  if (typeof url !== 'string' || !url) return null;
  try {
    const u = new URL(url, location.href);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null;
  } catch {
    return null;
  }
}

// Plays `url` in `video`. onError(sentence) is called once when playback
// fails for good; the player is then torn down. Returns
// {engine: 'native'|'hls.js'|'none', stop()}.
export async function playHls(video, url, { onError = () => {} } = {}) {
  let failed = false;
  let hls = null;
  const fail = (text) => {
    if (failed) return;
    failed = true;
    video.dataset.error = 'true';
    video.controls = false;  // nothing left to control
    if (hls) { hls.destroy(); hls = null; }
    video.removeAttribute('src');
    video.load();
    onError(text);
  };
  const start = () => {
    // Muted autoplay is allowed everywhere; if a browser still refuses, the controls remain.
    const p = video.play();
    if (p && typeof p.catch === 'function') p.catch(() => {});
  };
  video.muted = true;
  video.defaultMuted = true;
  video.playsInline = true;

  if (video.canPlayType(HLS_TYPE)) {
    video.dataset.engine = 'native';
    video.addEventListener('error', () => fail(MEDIA_ERRORS[video.error?.code] || 'The video cannot be played.'), { once: true });
    video.src = url;
    start();
    return { engine: 'native', stop: () => { video.removeAttribute('src'); video.load(); } };
  }

  let Hls;
  try {
    Hls = await loadHls();
  } catch {
    fail('The video player cannot be loaded.');
    return { engine: 'none', stop() {} };
  }
  if (!Hls.isSupported()) {
    fail('This browser cannot play this video.');
    return { engine: 'none', stop() {} };
  }
  video.dataset.engine = 'hls.js';
  hls = new Hls({ debug: false, enableWorker: true, lowLatencyMode: true });
  hls.on(Hls.Events.ERROR, (_event, data) => {
    if (!data?.fatal) return;  // hls.js recovers from these by itself
    fail(data.type === Hls.ErrorTypes.NETWORK_ERROR
      ? 'The video cannot be loaded (network error).'
      : data.type === Hls.ErrorTypes.MEDIA_ERROR ? 'The video cannot be decoded.' : 'The video cannot be played.');
  });
  hls.on(Hls.Events.MANIFEST_PARSED, start);
  hls.loadSource(url);
  hls.attachMedia(video);
  return { engine: 'hls.js', stop: () => { if (hls) { hls.destroy(); hls = null; } } };
}
