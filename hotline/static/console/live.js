// Short polling: re-fetch the server-rendered fragment in #live every few seconds.
// Audio elements survive a refresh, so a recording keeps playing while the timeline moves.
// The fragment carries an ETag; an unchanged poll is answered 304 and costs nearly nothing.
// Keyboard focus survives a refresh (the focused element is found again by its id); a round is
// skipped only while a form field or a confirmation dialog is in use, so typing is never lost.
// On the list page: the title counts reports waiting for someone to accept them, and a new one
// is announced (aria-live, optional sound, browser notification when permitted).
// The list never moves what is under a finger or pointer: a refresh only rewrites the cells
// that changed, in place; a new report, a row leaving or an order change waits behind the
// "N new reports — show" bar (#fresh, its space reserved), applied when it is pressed.
// A choice made in a form of the live part (e.g. "Accept on behalf of") survives a refresh.
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
  const fresh = document.getElementById("fresh");
  const chosen = new Map();  // "form id|field name" -> the value the user picked
  let pending = null;  // a list fragment whose rows moved, waiting for the bar to be pressed
  let bands = readBands(box);

  function readBands(root) {
    // id -> band of every row in the list, and the title's count of reports waiting for someone.
    const meta = root.querySelector("#list-meta");
    if (!meta) return null;
    const n = Number(meta.dataset.unaccepted || 0);
    if (box.dataset.title) document.title = (n ? "(" + n + ") " : "") + box.dataset.title;
    const found = new Map();
    root.querySelectorAll("tr[data-incident]").forEach(function (tr) { found.set(tr.dataset.incident, tr); });
    if (seen === null) seen = new Set(found.keys());
    return found;
  }

  function shape(root) {
    // Which rows stand where: a refresh that keeps this can be applied in place.
    // A storm's heading counts too: a report joining or leaving it regroups the list.
    return [...root.querySelectorAll("tr[data-incident], tr[data-call], tr[data-storm], table[id], details[id]")]
      .map(function (el) { return el.dataset.incident || el.dataset.call || (el.dataset.storm && "storm:" + el.dataset.storm) || el.id; }).join(",");
  }

  function patch(fromRoot) {
    // Rewrite in place only what changed: a row's cells (an unchanged cell keeps its very
    // elements, so the button under a finger stays that button) and the count line.
    let held = false;
    const rows = new Map();
    fromRoot.querySelectorAll("tr[data-incident]").forEach(function (tr) { rows.set(tr.dataset.incident, tr); });
    box.querySelectorAll("tr[data-incident]").forEach(function (tr) {
      const next = rows.get(tr.dataset.incident);
      if (!next) return;
      [...next.attributes].forEach(function (a) { if (tr.getAttribute(a.name) !== a.value) tr.setAttribute(a.name, a.value); });
      const cells = tr.children;
      const nextCells = next.children;
      if (cells.length !== nextCells.length) { if (!tr.matches(":hover")) tr.innerHTML = next.innerHTML; return; }
      for (let i = 0; i < cells.length; i++) {
        if (cells[i].innerHTML === nextCells[i].innerHTML) continue;
        // Buttons under the pointer or holding focus wait until it leaves (asked again next round).
        if (cells[i].querySelector("form") && (cells[i].matches(":hover") || cells[i].contains(document.activeElement))) {
          held = true;
          continue;
        }
        cells[i].replaceWith(nextCells[i].cloneNode(true));
      }
    });
    ["count", "list-meta"].forEach(function (id) {
      const here = box.querySelector("#" + id);
      const there = fromRoot.querySelector("#" + id);
      if (here && there && here.outerHTML !== there.outerHTML) here.replaceWith(there.cloneNode(true));
    });
    return held;
  }

  function offer(fromRoot) {
    // Show the bar: how many reports are new, or only that the order changed.
    if (!fresh) return;
    const here = new Set([...box.querySelectorAll("tr[data-incident]")].map(function (tr) { return tr.dataset.incident; }));
    const n = [...fromRoot.querySelectorAll("tr[data-incident]")].filter(function (tr) { return !here.has(tr.dataset.incident); }).length;
    const text = n === 1 ? fresh.dataset.one : n > 1 ? fresh.dataset.many.replace("%(n)s", String(n)) : fresh.dataset.moved;
    if (fresh.textContent !== text) fresh.textContent = text;
    fresh.dataset.count = String(n);
    fresh.classList.add("on");
    fresh.disabled = false;
  }

  function keepChoices() {
    box.querySelectorAll("form[id] select, form[id] input:not([type=hidden]), form[id] textarea").forEach(function (el) {
      const v = chosen.get(el.form.id + "|" + el.name);
      if (v === undefined) return;
      if (el.tagName === "SELECT" && ![...el.options].some(function (o) { return o.value === v; })) return;
      el.value = v;
    });
  }

  // Reports picked for "Close selected" stay picked through every refresh; the button says how many.
  const picks = new Set();
  const closeSelected = document.getElementById("close-selected");
  const pickedCount = document.getElementById("picked-count");
  function showPicks() {
    box.querySelectorAll("input.pick").forEach(function (el) { el.checked = picks.has(el.value); });
    const here = [...box.querySelectorAll("input.pick")].filter(function (el) { return el.checked; }).length;
    if (closeSelected) closeSelected.disabled = here === 0;
    if (pickedCount) pickedCount.textContent = here ? String(here) : "";
  }
  box.addEventListener("change", function (ev) {
    if (!ev.target.matches || !ev.target.matches("input.pick")) return;
    if (ev.target.checked) picks.add(ev.target.value); else picks.delete(ev.target.value);
    showPicks();
  });
  box.addEventListener("live:updated", showPicks);

  let pointer = null;  // where the pointer or finger last was, in the viewport
  ["pointermove", "pointerdown"].forEach(function (name) {
    document.addEventListener(name, function (ev) { pointer = [ev.clientX, ev.clientY]; }, {passive: true});
  });

  box.addEventListener("change", function (ev) {
    const el = ev.target;
    if (el.form && el.form.id && el.name) chosen.set(el.form.id + "|" + el.name, el.value);
  });

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
        if (html !== box.dataset.last && bands !== null) {
          const next = document.createElement("template");
          next.innerHTML = html;
          const before = new Map([...bands].map(function ([id, tr]) { return [id, tr.dataset.band]; }));
          const after = readBands(next.content);
          const same = shape(next.content) === shape(box);
          const anchor = pointer && document.elementFromPoint(pointer[0], pointer[1]);
          const top = anchor ? anchor.getBoundingClientRect().top : 0;
          const held = patch(next.content);
          // A row above that grew or shrank: scroll by as much, so what is under the pointer stays.
          if (anchor && anchor.isConnected) window.scrollBy(0, anchor.getBoundingClientRect().top - top);
          if (same) {
            pending = null;
            if (fresh) { fresh.classList.remove("on"); fresh.disabled = true; }
          } else {
            pending = html;
            offer(next.content);
          }
          if (held) etag = null;  // fetch the whole fragment again next round, to finish the patch
          else box.dataset.last = html;
          bands = readBands(box);
          tell(before, after || new Map());
          box.dispatchEvent(new CustomEvent("live:updated", {bubbles: true}));
        } else if (html !== box.dataset.last) {
          const focused = document.activeElement && box.contains(document.activeElement) ? document.activeElement.id : "";
          const opened = [...box.querySelectorAll("details[id]")].filter(function (d) { return d.open; })
            .map(function (d) { return d.id; });
          const players = new Map([...box.querySelectorAll("audio[data-recording]")]
            .map(function (a) { return [a.dataset.recording, a]; }));
          // An element marked data-keep (a result message shown where its button was) outlives a refresh.
          const keep = [...box.querySelectorAll("[data-keep][id]")];
          box.innerHTML = html;
          keep.forEach(function (old) {
            const fresh = document.getElementById(old.id);
            if (fresh && !fresh.children.length) fresh.replaceWith(old);
          });
          box.dataset.last = html;
          // A recording being listened to keeps playing: the old element takes the new one's place.
          box.querySelectorAll("audio[data-recording]").forEach(function (fresh) {
            const old = players.get(fresh.dataset.recording);
            if (old) fresh.replaceWith(old);
          });
          opened.forEach(function (id) { const d = document.getElementById(id); if (d) d.open = true; });
          keepChoices();
          if (focused) { const el = document.getElementById(focused); if (el) el.focus(); }
          const before = bands ? new Map([...bands].map(function ([id, tr]) { return [id, tr.dataset.band]; })) : null;
          bands = readBands(box);
          tell(before, bands || new Map());
          box.dispatchEvent(new CustomEvent("live:updated", {bubbles: true}));
        }
      }
      box.dataset.refreshed = String(Number(box.dataset.refreshed || 0) + 1);
    } catch (e) { /* offline for a moment: try again next round */ }
    finally { busy = false; }
  }

  if (fresh) {
    fresh.addEventListener("click", function () {
      if (!pending) return;
      const html = pending;
      pending = null;
      fresh.classList.remove("on");
      fresh.disabled = true;
      box.innerHTML = html;
      box.dataset.last = html;
      bands = readBands(box);
      box.dispatchEvent(new CustomEvent("live:updated", {bubbles: true}));
      const first = box.querySelector("tr[data-incident] a");
      if (first) first.focus();
    });
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
