// The outbox: reports kept on the phone (IndexedDB) until the hotline has them. Shared by the page
// (app.js) and the service worker (sw.js, for Background Sync), so both send the same way; a
// report sent twice at once is one incident (the server deduplicates by its client id).
var Outbox = (function () {
  var DB = "hotline-app", VERSION = 1;

  function open() {
    return new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, VERSION);
      req.onupgradeneeded = function () {
        var db = req.result;
        if (!db.objectStoreNames.contains("outbox")) db.createObjectStore("outbox", {keyPath: "client_id"});
        if (!db.objectStoreNames.contains("kv")) db.createObjectStore("kv");
      };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }

  function run(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode), out;
        var req = fn(tx.objectStore(store));
        if (req) req.onsuccess = function () { out = req.result; };
        tx.oncomplete = function () { db.close(); resolve(out); };
        tx.onerror = function () { db.close(); reject(tx.error); };
      });
    });
  }

  function get(key) { return run("kv", "readonly", function (s) { return s.get(key); }); }
  function set(key, value) { return run("kv", "readwrite", function (s) { return s.put(value, key); }); }
  function add(report) { return run("outbox", "readwrite", function (s) { return s.put(report); }); }
  function remove(id) { return run("outbox", "readwrite", function (s) { return s.delete(id); }); }
  function all() { return run("outbox", "readonly", function (s) { return s.getAll(); }); }

  function newId() {
    if (self.crypto && crypto.randomUUID) return crypto.randomUUID();
    var bytes = crypto.getRandomValues(new Uint8Array(16));
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  var flushing = null;
  // Send every waiting report, oldest first. Resolves {sent: [{client_id, ref}], refused: bool}.
  // A network error leaves the rest waiting (the next "online", page load or sync tries again).
  function flush() {
    if (flushing) return flushing;
    flushing = get("token").then(function (token) {
      return all().then(function (reports) {
        reports.sort(function (a, b) { return a.made_at - b.made_at; });
        var result = {sent: [], refused: false};
        if (!token) { result.refused = reports.length > 0; return result; }
        var chain = Promise.resolve();
        reports.forEach(function (r) {
          chain = chain.then(function () {
            if (result.refused || result.offline) return;
            return fetch("/app/api/reports", {
              method: "POST", headers: {"Content-Type": "application/json", "Authorization": "Bearer " + token},
              body: JSON.stringify(r)
            }).then(function (resp) {
              if (resp.status === 401) { result.refused = true; return; }
              if (resp.status === 400) return remove(r.client_id);  // never acceptable: don't loop on it
              if (!resp.ok) { result.offline = true; return; }
              return resp.json().then(function (body) {
                result.sent.push({client_id: r.client_id, ref: body.ref, type_name: r.type_name});
                return remove(r.client_id);
              });
            }, function () { result.offline = true; });
          });
        });
        return chain.then(function () { return result; });
      });
    }).then(function (result) { flushing = null; return result; },
            function (err) { flushing = null; throw err; });
    return flushing;
  }

  return {get: get, set: set, add: add, all: all, flush: flush, newId: newId};
})();
