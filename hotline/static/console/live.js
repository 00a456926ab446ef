// Short polling: re-fetch the server-rendered fragment in #live every few seconds.
// The fragment carries an ETag; an unchanged poll is answered 304 and costs nearly nothing.
// Keyboard focus survives a refresh (the focused element is found again by its id); a round is
// skipped only while a form field or a confirmation dialog is in use, so typing is never lost.
// On the list page: the title counts reports waiting for someone to accept them, and a new one
// is announced (aria-live, optional sound, browser notification when permitted).
(function () {
  "use strict";
  const box = document.getElementById("live");
  if (!box) return;
  const url = box.dataset.liveUrl;
  const every = Number(box.dataset.liveEvery || 2000);
  const announce = document.getElementById("announce");
  const sound = document.getElementById("sound-on");
  const notifyButton = document.getElementById("notify-on");
  let busy = false;
  let etag = null;
  let waiting = readWaiting();

  function readWaiting() {
    const meta = document.getElementById("list-meta");
    const found = new Map();
    if (!meta) return null;
    meta.dataset.waiting.trim().split(/\s+/).filter(Boolean).forEach(function (item) {
      const [id, ref, ...type] = item.split(":");
      found.set(id, {ref: ref, type: type.join(":")});
    });
    const n = Number(meta.dataset.unaccepted || 0);
    if (box.dataset.title) document.title = (n ? "(" + n + ") " : "") + box.dataset.title;
    return found;
  }

  function typing() {
    const el = document.activeElement;
    if (document.querySelector("dialog[open]")) return true;
    return el && box.contains(el) && /^(INPUT|TEXTAREA|SELECT)$/.test(el.tagName);
  }

  function beep() {
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      [0, 0.35].forEach(function (at) {
        const osc = ctx.createOscillator();
        const gain = ctx.createGain();
        osc.frequency.value = 880;
        gain.gain.setValueAtTime(0.2, ctx.currentTime + at);
        gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + at + 0.3);
        osc.connect(gain).connect(ctx.destination);
        osc.start(ctx.currentTime + at);
        osc.stop(ctx.currentTime + at + 0.3);
      });
    } catch (e) { /* no audio: the title and the announcement still say it */ }
  }

  function tellNew(before, after) {
    if (!before || !announce) return;
    const fresh = [...after.keys()].filter(function (id) { return !before.has(id); });
    if (!fresh.length) return;
    const lines = fresh.map(function (id) {
      const it = after.get(id);
      return announce.dataset.newReport.replace("%(ref)s", it.ref).replace("%(type)s", it.type);
    });
    announce.textContent = lines.join(" ");
    document.body.dataset.announced = String(Number(document.body.dataset.announced || 0) + fresh.length);
    if (sound && sound.checked) beep();
    if (window.Notification && Notification.permission === "granted") {
      lines.forEach(function (line) { new Notification(line); });
    }
  }

  async function refresh() {
    if (busy || typing()) return;
    busy = true;
    try {
      const headers = {"Accept": "text/html"};
      if (etag) headers["If-None-Match"] = etag;
      const r = await fetch(url, {credentials: "same-origin", headers: headers, cache: "no-cache"});
      if (r.status === 401) { location.reload(); return; }
      if (r.status === 200) {
        etag = r.headers.get("ETag");
        const html = await r.text();
        if (html !== box.dataset.last) {
          const focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.id : "";
          const opened = [...box.querySelectorAll("details[id]")].filter(function (d) { return d.open; })
            .map(function (d) { return d.id; });
          box.innerHTML = html;
          box.dataset.last = html;
          opened.forEach(function (id) { const d = document.getElementById(id); if (d) d.open = true; });
          if (focused) { const el = document.getElementById(focused); if (el) el.focus(); }
          const before = waiting;
          waiting = readWaiting();
          tellNew(before, waiting || new Map());
          box.dispatchEvent(new CustomEvent("live:updated", {bubbles: true}));
        }
      }
      box.dataset.refreshed = String(Number(box.dataset.refreshed || 0) + 1);
    } catch (e) { /* offline for a moment: try again next round */ }
    finally { busy = false; }
  }

  if (sound) {
    sound.checked = localStorage.getItem("console-sound") === "on";
    sound.addEventListener("change", function () {
      localStorage.setItem("console-sound", sound.checked ? "on" : "off");
      if (sound.checked) beep();
    });
  }
  if (notifyButton && window.Notification && Notification.permission === "default") {
    notifyButton.hidden = false;
    notifyButton.addEventListener("click", function () {
      Notification.requestPermission().then(function () { notifyButton.hidden = true; });
    });
  }
  setInterval(refresh, every);
})();
