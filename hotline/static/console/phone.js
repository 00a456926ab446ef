// A browser phone for the sim. Everything goes through /sim/api (the console's proxy to the
// sim's control API): the page reads the sim's event feed and acts like the far end of a line.
(function () {
  "use strict";
  const root = document.getElementById("phone");
  if (!root) return;
  const me = root.dataset.number;
  const hotline = root.dataset.hotline;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const FINAL = ["completed", "busy", "failed", "no-answer", "canceled"];
  const SEGMENT_MS = 2000; // each MediaRecorder segment is a whole file the server can decode
  const $ = function (id) { return document.getElementById(id); };
  const calls = {};
  let cursor = 0;
  let live = false; // false while replaying history: show it, but do not speak or ring
  let active = null;
  let mic = null;
  let uploads = Promise.resolve();

  function api(path, opts) {
    opts = opts || {};
    opts.credentials = "same-origin";
    opts.headers = Object.assign({"X-CSRF-Token": csrf}, opts.headers || {});
    return fetch("/sim/api/" + path, opts).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (body) {
        if (!r.ok) { note("error", body.error || ("HTTP " + r.status)); throw new Error(body.error || r.status); }
        return body;
      });
    });
  }
  function post(path, body) {
    return api(path, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body || {})});
  }
  function note(kind, text) {
    const li = document.createElement("li");
    li.dataset.kind = kind;
    li.textContent = text;
    $("log").appendChild(li);
    li.scrollIntoView({block: "nearest"});
  }
  const stateWords = JSON.parse(root.dataset.stateWords || "{}");  // the page's language
  function setState(state) {
    root.dataset.state = state;
    $("state").textContent = stateWords[state] || state;
    $("hangup").disabled = !active || state === "idle" || state === "ended";
    $("dial").disabled = !!active && state !== "ended";
  }

  // -- what the line says: <Say> through speech synthesis, <Play> as audio, one after another --
  const media = [];
  let playing = false;
  let player = null;
  function enqueue(item) { if (live) { media.push(item); if (!playing) nextMedia(); } }
  function nextMedia() {
    const item = media.shift();
    playing = !!item;
    if (!item) return;
    const done = function () { if (playing) { playing = false; nextMedia(); } };
    if (item.say) {
      if (!window.speechSynthesis) { done(); return; }
      const u = new SpeechSynthesisUtterance(item.say);
      u.lang = item.lang || "zh-TW";
      u.onend = done; u.onerror = done;
      window.speechSynthesis.speak(u);
      setTimeout(done, 1500 + item.say.length * 250); // some engines never fire onend
    } else {
      player = new Audio(item.play);
      player.onended = done; player.onerror = done;
      player.play().then(function () { root.dataset.played = String(Number(root.dataset.played || 0) + 1); }, done);
    }
  }
  function silence() {
    media.length = 0; playing = false;
    if (window.speechSynthesis) window.speechSynthesis.cancel();
    if (player) player.pause();
  }

  // -- ringing tone --
  let ringer = null;
  function ring(on) {
    $("ringing").hidden = !on;
    if (on && live && !ringer) {
      try {
        const ctx = new AudioContext();
        const osc = ctx.createOscillator(); const gain = ctx.createGain();
        osc.frequency.value = 440; osc.connect(gain); gain.connect(ctx.destination); osc.start();
        let t = 0;
        const timer = setInterval(function () { gain.gain.value = (t++ % 4) < 2 ? 0.1 : 0; }, 500);
        ringer = {stop: function () { clearInterval(timer); osc.stop(); ctx.close(); }};
      } catch (e) { ringer = null; }
    }
    if (!on && ringer) { ringer.stop(); ringer = null; }
  }

  // -- the microphone at a <Record>: MediaRecorder in segments, each uploaded as it ends --
  function upload(blob, name) {
    const sid = active;
    const form = new FormData();
    form.append("audio", blob, name || "speech.webm");
    uploads = uploads.then(function () {
      return api("calls/" + sid + "/speak", {method: "POST", body: form}).then(function () {
        root.dataset.uploads = String(Number(root.dataset.uploads || 0) + 1);
        note("speech", "Sent " + Math.round(blob.size / 1024) + " KB of speech");
      }, function () {});
    });
    return uploads;
  }
  function startMic() {
    if (mic || !$("use-mic").checked || !navigator.mediaDevices) return;
    const m = mic = {stopping: false};
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (stream) {
      if (m.stopping) { stream.getTracks().forEach(function (t) { t.stop(); }); return; }
      m.stream = stream;
      root.dataset.mic = "on";
      segment(m);
    }, function (e) { note("error", "microphone: " + e.message); if (mic === m) mic = null; });
  }
  function segment(m) {
    if (m.stopping) return;
    const rec = new MediaRecorder(m.stream);
    const parts = [];
    rec.ondataavailable = function (ev) { if (ev.data.size) parts.push(ev.data); };
    rec.onstop = function () {
      const blob = new Blob(parts, {type: rec.mimeType});
      if (blob.size > 500 && !m.discard) upload(blob, "speech.webm");
      if (m.stopping) { if (m.onlast) { const fn = m.onlast; m.onlast = null; fn(); } }
      else segment(m);
    };
    m.rec = rec;
    rec.start();
    m.timer = setTimeout(function () { if (rec.state === "recording") rec.stop(); }, SEGMENT_MS);
  }
  function stopMic(discard) {
    return new Promise(function (resolve) {
      if (!mic) { resolve(); return; }
      const m = mic;
      m.stopping = true; m.discard = !!discard;
      clearTimeout(m.timer);
      const finish = function () {
        if (m.stream) m.stream.getTracks().forEach(function (t) { t.stop(); });
        root.dataset.mic = "off";
        if (mic === m) mic = null;
        uploads.then(resolve);
      };
      if (m.rec && m.rec.state === "recording") { m.onlast = finish; m.rec.stop(); } else finish();
    });
  }

  // -- the event feed --
  function handle(ev) {
    if (ev.kind === "created") {
      if (ev.from === me && ev.direction === "inbound") calls[ev.call_sid] = {dir: "out"};
      else if (ev.to === me && ev.direction !== "inbound") calls[ev.call_sid] = {dir: "in", from: ev.from};
    }
    const c = calls[ev.call_sid];
    if (!c) return;
    if (ev.kind === "ring" && c.dir === "in") {
      active = ev.call_sid; $("ring-from").textContent = c.from || ""; ring(true); setState("ringing");
    } else if (ev.kind === "answered") {
      active = ev.call_sid; ring(false); setState("in-call");
    } else if (ev.kind === "say") {
      note("say", "Say: " + ev.text); enqueue({say: ev.text, lang: ev.language});
    } else if (ev.kind === "play") {
      note("play", "Play: " + ev.url); enqueue({play: ev.url});
    } else if (ev.kind === "gather") {
      setState("gather");
    } else if (ev.kind === "record") {
      setState("record"); $("record").hidden = false; if (live) startMic();
    } else if (ev.kind === "recording" || ev.kind === "recording_empty") {
      $("record").hidden = true; stopMic(true); note(ev.kind, ev.kind === "recording" ? "Recorded " + ev.duration + " s" : "Nothing recorded");
    } else if (ev.kind === "digits") {
      note("digits", "Pressed " + ev.digits);
    } else if (ev.kind === "status" && FINAL.indexOf(ev.status) >= 0) {
      c.final = ev.status; note("status", ev.status);
      if (active === ev.call_sid) { ring(false); silence(); stopMic(true); $("record").hidden = true; active = null; setState("ended"); }
    }
  }
  function poll() {
    api("events?since=" + cursor + "&limit=500").then(function (data) {
      data.events.forEach(handle);
      cursor = data.next;
      if (data.events.length === 500) { setTimeout(poll, 0); return; }
      if (!live) { live = true; root.dataset.ready = "1"; }
      setTimeout(poll, 300);
    }, function () { setTimeout(poll, 2000); });
  }

  // -- buttons: one action at a time, in order, so "7" then "2" reach the sim as 7 then 2 --
  let work = Promise.resolve();
  function serial(fn) { work = work.then(fn, fn).catch(function () {}); return work; }
  function act(what) { const sid = active; return function () { if (sid) return post("calls/" + sid + "/" + what); }; }
  $("dial").addEventListener("click", function () {
    serial(function () {
      return post("dial", {from: me, to: hotline}).then(function (call) {
        calls[call.sid] = {dir: "out"}; active = call.sid; setState("calling"); note("dial", "Dialled " + hotline);
      });
    });
  });
  $("hangup").addEventListener("click", function () {
    silence();
    const hang = act("hangup");
    serial(function () { return stopMic(true).then(hang); });
  });
  $("answer").addEventListener("click", function () { ring(false); serial(act("answer")); });
  $("decline").addEventListener("click", function () { ring(false); serial(act("decline")); });
  $("keypad").addEventListener("click", function (ev) {
    const key = ev.target.dataset && ev.target.dataset.key;
    const sid = active;
    if (!key || !sid) return;
    serial(function () { return stopMic(false).then(function () { return post("calls/" + sid + "/press", {digits: key}); }); });
  });
  $("stop-send").addEventListener("click", function () {
    const sid = active;
    serial(function () { return stopMic(false).then(function () { if (sid) return post("calls/" + sid + "/press", {digits: "#"}); }); });
  });
  $("file").addEventListener("change", function (ev) {
    const file = ev.target.files[0];
    ev.target.value = "";
    if (!file || !active) return;
    serial(function () { return stopMic(true).then(function () { return upload(file, file.name); }); });
  });
  setState("idle");
  poll();
})();
