// Reads the <script data-*> attributes and the page context that travels with `start`.
var SOCIAL_SOURCES = /^(facebook|fb|instagram|ig|twitter|x|t\.co|linkedin|lnkd|tiktok|youtube|whatsapp|snapchat|pinterest|threads|mastodon|bluesky|reddit|social)$/i;

function readConfig(script) {
  var d = (script && script.dataset) || {};
  var src = new URL((script && script.src) || location.href, location.href);
  var docLang = (document.documentElement.getAttribute("lang") || "").toLowerCase();
  var lang = d.lang === "en" || d.lang === "nl" ? d.lang : (docLang.indexOf("en") === 0 ? "en" : "nl");
  return {
    server: (d.server || src.origin).replace(/\/+$/, ""),
    lang: lang,
    topic: d.topic || d.team || null,
    channel: d.channel || null,
    privacyUrl: d.privacyUrl || "/privacy",
    open: d.open === "true",
    texts: { title: d.title, launcher: d.launcherText, welcome: d.welcome },
    colors: {
      "--gc-primary": d.colorPrimary,
      "--gc-primary-text": d.colorPrimaryText,
      "--gc-text": d.colorText,
      "--gc-background": d.colorBackground,
      "--gc-focus": d.colorFocus
    }
  };
}

// The landing page's context is what matters (a campaign link), so the first one in this tab wins.
function pageContext(cfg) {
  var utm = {};
  new URLSearchParams(location.search).forEach(function (value, key) {
    if (key.indexOf("utm_") === 0 && key.length > 4 && value) utm[key.slice(4, 44)] = value.slice(0, 200);
  });
  var social = SOCIAL_SOURCES.test(utm.source || "") || /social/i.test(utm.medium || "");
  var context = { page: location.href.slice(0, 2048), channel: cfg.channel || (social ? "social" : "website"), lang: cfg.lang };
  if (document.referrer) context.referrer = document.referrer.slice(0, 2048);
  if (Object.keys(utm).length) context.utm = utm;
  if (cfg.topic) context.topic_hint = cfg.topic.slice(0, 80);
  return context;
}
