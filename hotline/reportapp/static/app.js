// The reporting app's page: one big button per incident type; a press keeps the report in the
// outbox (IndexedDB, outbox.js) at once, then sends it. With no signal it shows "waiting to send"
// and is sent when the connection returns: on the "online" event, on the next page load, and by
// Background Sync in the service worker where the browser has it.
(function () {
  var data = JSON.parse(document.getElementById("app-data").textContent);
  var words = data.words;
  var $ = function (id) { return document.getElementById(id); };
  var shareBox = $("share-location");
  shareBox.checked = localStorage.getItem("share-location") === "1";
  shareBox.addEventListener("change", function () {
    localStorage.setItem("share-location", shareBox.checked ? "1" : "0");
    $("location").textContent = shareBox.checked ? "" : words.location_off;
  });
  $("location").textContent = shareBox.checked ? "" : words.location_off;

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/app/sw.js", {scope: "/app/"}).catch(function () {});
    navigator.serviceWorker.addEventListener("message", function (e) {
      if (e.data && e.data.kind === "flushed") settle(e.data.result);
    });
  }

  function say(text) { $("status").textContent = text || ""; }
  function refused(yes) { $("refused").hidden = !yes; document.body.dataset.enrolled = yes ? "no" : "yes"; }

  function renderTypes(types) {
    var box = $("types");
    box.textContent = "";
    types.forEach(function (t) {
      var b = document.createElement("button");
      b.type = "button";
      b.dataset.type = t.key;
      b.textContent = t.name;
      b.addEventListener("click", function () { report(t); });
      box.appendChild(b);
    });
  }

  function renderReports() {
    return Promise.all([Outbox.all(), Outbox.get("sent")]).then(function (got) {
      var list = $("reports"), waiting = got[0] || [], sent = got[1] || [];
      list.textContent = "";
      waiting.sort(function (a, b) { return b.made_at - a.made_at; }).forEach(function (r) {
        var li = document.createElement("li");
        li.className = "waiting";
        li.dataset.clientId = r.client_id;
        li.dataset.state = "waiting";
        li.textContent = r.type_name + " · " + new Date(r.made_at).toLocaleTimeString() + " · " + words.waiting;
        list.appendChild(li);
      });
      sent.forEach(function (r) {
        var li = document.createElement("li");
        li.className = "sent";
        li.dataset.clientId = r.client_id;
        li.dataset.state = "sent";
        li.dataset.ref = r.ref;
        li.textContent = (r.type_name || "") + " · " + words.sent.replace("{ref}", r.ref);
        list.appendChild(li);
      });
    });
  }

  var retry = null;
  function settle(result) {
    refused(result.refused);
    if (result.offline) say(words.offline); else if (!result.refused) say("");
    // Online but not answered (the hotline busy or restarting): try again soon, not only on "online".
    if (result.offline && navigator.onLine && !retry) retry = setTimeout(function () { retry = null; send(); }, 5000);
    if (!result.sent.length) return renderReports();
    return Outbox.get("sent").then(function (sent) {
      sent = sent || [];
      var known = {};
      sent.forEach(function (r) { known[r.client_id] = true; });
      result.sent.forEach(function (r) { if (!known[r.client_id]) sent.unshift(r); });
      return Outbox.set("sent", sent.slice(0, 20));
    }).then(renderReports).then(poll);
  }

  function send() {
    return Outbox.flush().then(settle, function () { say(words.offline); });
  }

  function askSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (reg) {
      if (reg.sync) return reg.sync.register("send-reports");
    }).catch(function () {});
  }

  function where() {
    if (!shareBox.checked || !navigator.geolocation) return Promise.resolve(null);
    return new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(function (p) {
        resolve({lat: p.coords.latitude, lon: p.coords.longitude, accuracy: p.coords.accuracy, at: p.timestamp});
      }, function () { $("location").textContent = words.location_none; resolve(null); },
      {enableHighAccuracy: true, timeout: 8000, maximumAge: 30000});
    });
  }

  function photo() {
    var file = $("photo").files && $("photo").files[0];
    if (!file || file.size > data.max_photo_kb * 1024) return Promise.resolve(null);
    return new Promise(function (resolve) {
      var reader = new FileReader();
      reader.onload = function () { resolve(reader.result); };
      reader.onerror = function () { resolve(null); };
      reader.readAsDataURL(file);
    });
  }

  // A voice memo: recorded before the press (at most a minute), sent with the next report.
  var MEMO_MS = 60000, memo = null, recorder = null;
  function memoSay(text) { $("memo-state").textContent = text; }
  if (!window.MediaRecorder || !navigator.mediaDevices) { $("memo").hidden = true; }
  $("memo").addEventListener("click", function () {
    if (recorder) { recorder.stop(); return; }
    navigator.mediaDevices.getUserMedia({audio: true}).then(function (stream) {
      var chunks = [], started = Date.now();
      recorder = new MediaRecorder(stream);
      recorder.ondataavailable = function (e) { if (e.data.size) chunks.push(e.data); };
      recorder.onstop = function () {
        stream.getTracks().forEach(function (tr) { tr.stop(); });
        var blob = new Blob(chunks, {type: recorder.mimeType || "audio/webm"}), seconds = Math.round((Date.now() - started) / 1000);
        recorder = null;
        $("memo").textContent = words.memo_record;
        var reader = new FileReader();
        reader.onload = function () { memo = reader.result; memoSay(words.memo_ready.replace("{s}", seconds)); };
        reader.readAsDataURL(blob);
      };
      recorder.start();
      $("memo").textContent = words.memo_stop;
      memoSay(words.memo_recording);
      setTimeout(function () { if (recorder && recorder.state === "recording") recorder.stop(); }, MEMO_MS);
    }, function () { memoSay(words.memo_refused); });
  });

  function report(type) {
    var made = Date.now(), id = Outbox.newId();
    say(words.sending);
    return Promise.all([where(), photo()]).then(function (extra) {
      var r = {client_id: id, type: type.key, type_name: type.name, language: data.lang,
               note: $("note").value, made_at: made, location: extra[0], photo: extra[1], memo: memo};
      memo = null;
      memoSay("");
      return Outbox.add(r);
    }).then(function () {
      $("note").value = "";
      $("photo").value = "";
      return renderReports();
    }).then(function () {
      askSync();
      return send();
    });
  }

  // Messages: per report this phone sent, what the hotline wrote and the reporter's replies. Read
  // on load and every few seconds while the app is open; a reply is kept on the phone until the
  // hotline has it, sent with its own id so a resend is one message.
  var POLL_MS = 4000, THREADS = 5;
  function thread(r) {
    var box = $("threads"), el = box.querySelector('[data-thread="' + r.client_id + '"]');
    if (el) return el;
    el = document.createElement("div");
    el.className = "thread";
    el.dataset.thread = r.client_id;
    var h = document.createElement("h3");
    h.textContent = words.messages_on.replace("{ref}", r.ref);
    var list = document.createElement("ol");
    list.className = "msgs";
    var form = document.createElement("form");
    form.className = "reply";
    var input = document.createElement("input");
    input.name = "body";
    input.maxLength = 1000;
    input.setAttribute("aria-label", words.reply);
    input.placeholder = words.reply;
    var b = document.createElement("button");
    b.type = "submit";
    b.textContent = words.reply_send;
    form.appendChild(input);
    form.appendChild(b);
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      var text = input.value.trim();
      if (!text) return;
      input.value = "";
      Outbox.get("replies").then(function (replies) {
        replies = replies || [];
        replies.push({client_id: r.client_id, id: Outbox.newId(), body: text});
        return Outbox.set("replies", replies);
      }).then(poll);
    });
    el.appendChild(h);
    el.appendChild(list);
    el.appendChild(form);
    box.appendChild(el);
    return el;
  }

  function showMessages(el, messages, waiting) {
    var list = el.querySelector(".msgs");
    list.textContent = "";
    messages.concat(waiting).forEach(function (m) {
      var li = document.createElement("li");
      li.className = m.from === "hotline" ? "from-hotline" : "from-me";
      li.dataset.from = m.from || "reporter";
      if (m.from === undefined) li.dataset.state = "waiting";
      var who = document.createElement("span");
      who.className = "muted";
      who.textContent = (m.from === "hotline" ? words.from_hotline : words.from_me) +
        (m.from === undefined ? " · " + words.waiting : "");
      var p = document.createElement("p");
      p.textContent = m.body;
      li.appendChild(who);
      li.appendChild(p);
      list.appendChild(li);
    });
  }

  var polling = false;
  function poll() {
    if (polling) return Promise.resolve();
    polling = true;
    return Promise.all([Outbox.get("token"), Outbox.get("sent"), Outbox.get("replies")]).then(function (got) {
      var token = got[0], sent = (got[1] || []).slice(0, THREADS), replies = got[2] || [];
      if (!token) return;
      var auth = {"Authorization": "Bearer " + token};
      var base = function (r) { return "/app/api/reports/" + encodeURIComponent(r.client_id) + "/messages"; };
      // Replies first (oldest first), each until the hotline answers for it; then each thread.
      var left = [];
      return replies.reduce(function (chain, m) {
        return chain.then(function () {
          return fetch(base(m), {method: "POST", headers: Object.assign({"Content-Type": "application/json"}, auth),
                                 body: JSON.stringify({id: m.id, body: m.body})}).then(function (resp) {
            if (resp.status >= 500) left.push(m);  // a 4xx will never succeed: drop it
          }, function () { left.push(m); });
        });
      }, Promise.resolve()).then(function () {
        return Outbox.get("replies");
      }).then(function (now) {  // keep what failed and what was written meanwhile
        var tried = {};
        replies.forEach(function (m) { tried[m.id] = true; });
        var keep = left.concat((now || []).filter(function (m) { return !tried[m.id]; }));
        return Outbox.set("replies", keep).then(function () { return keep; });
      }).then(function (keep) {
        if (!sent.length) return;
        // Every thread in one request, however many reports this phone keeps.
        var ids = sent.map(function (r) { return r.client_id; }).join(",");
        return fetch("/app/api/messages?reports=" + encodeURIComponent(ids), {headers: auth}).then(function (resp) {
          if (resp.status === 401) refused(true);
          return resp.ok ? resp.json() : null;
        }, function () { return null; }).then(function (body) {
          var threads = (body && body.threads) || {};
          sent.forEach(function (r) {
            var el = thread(r);
            var waiting = keep.filter(function (m) { return m.client_id === r.client_id; });
            var said = threads[r.client_id];
            if (said) showMessages(el, said, waiting);
            else if (waiting.length) showMessages(el, [], waiting);
          });
        });
      });
    }).then(function () { polling = false; }, function () { polling = false; });
  }
  setInterval(function () { if (!document.hidden) poll(); }, POLL_MS);
  document.addEventListener("visibilitychange", function () { if (!document.hidden) poll(); });

  window.addEventListener("online", send);
  window.addEventListener("offline", function () { say(words.offline); });

  Outbox.get("token").then(function (token) {
    if (!token) { refused(true); return; }
    Outbox.get("name").then(function (name) { $("person").textContent = name || ""; });
    return fetch("/app/api/types?lang=" + encodeURIComponent(data.lang),
                 {headers: {"Authorization": "Bearer " + token}}).then(function (resp) {
      if (resp.status === 401) { refused(true); return null; }
      return resp.ok ? resp.json() : null;
    }, function () { return null; }).then(function (body) {
      if (body) { refused(false); return Outbox.set("types", body.types).then(function () { return body.types; }); }
      return Outbox.get("types");
    }).then(function (types) { renderTypes(types || []); });
  }).then(renderReports).then(function () {
    document.body.dataset.ready = "yes";
    return send();
  }).then(poll);
})();
