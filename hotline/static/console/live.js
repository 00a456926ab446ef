// Short polling: re-fetch the server-rendered fragment in #live every few seconds.
// Audio elements survive a refresh, so a recording keeps playing while the timeline moves.
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
  let seen = null;  // incident ids this page has shown, so only a really new report is announced
  let bands = readBands();

  function readBands() {
    // id -> band of every row in the list, and the title's count of reports waiting for someone.
    const meta = document.getElementById("list-meta");
    if (!meta) return null;
    const n = Number(meta.dataset.unaccepted || 0);
    if (box.dataset.title) document.title = (n ? "(" + n + ") " : "") + box.dataset.title;
    const found = new Map();
    box.querySelectorAll("tr[data-incident]").forEach(function (tr) { found.set(tr.dataset.incident, tr); });
    if (seen === null) seen = new Set(found.keys());
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

  function tell(before, after) {
    // Say what changed: a new report (with sound and notification), or a row that changed band.
    if (!before || !announce) return;
    const fresh = [];
    const changed = [];
    after.forEach(function (tr, id) {
      const ref = tr.querySelector("a").textContent.trim();
      if (!seen.has(id)) {
        seen.add(id);
        if (tr.dataset.band !== "0") return;
        const type = tr.dataset.typeName || "";
        fresh.push(announce.dataset.newReport.replace("%(ref)s", ref).replace("%(type)s", type));
      } else if (before.has(id) && before.get(id) !== tr.dataset.band) {
        changed.push(ref + ": " + tr.querySelector(".now-text").textContent.trim());
      }
    });
    if (!fresh.length && !changed.length) return;
    announce.textContent = fresh.concat(changed).join(" ");
    if (!fresh.length) return;
    if (sound && sound.checked) beep();
    if (window.Notification && Notification.permission === "granted") {
      fresh.forEach(function (line) { new Notification(line); });
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
          const players = new Map([...box.querySelectorAll("audio[data-recording]")]
            .map(function (a) { return [a.dataset.recording, a]; }));
          box.innerHTML = html;
          box.dataset.last = html;
          // A recording being listened to keeps playing: the old element takes the new one's place.
          box.querySelectorAll("audio[data-recording]").forEach(function (fresh) {
            const old = players.get(fresh.dataset.recording);
            if (old) fresh.replaceWith(old);
          });
          opened.forEach(function (id) { const d = document.getElementById(id); if (d) d.open = true; });
          if (focused) { const el = document.getElementById(focused); if (el) el.focus(); }
          const before = bands ? new Map([...bands].map(function ([id, tr]) { return [id, tr.dataset.band]; })) : null;
          bands = readBands();
          tell(before, bands || new Map());
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
