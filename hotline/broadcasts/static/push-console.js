// "Alerts on this device": subscribe this browser to the hotline's Web Push for the logged-in
// console user (who must be a directory person), through the service worker at /push-sw.js.
(function () {
  "use strict";
  var button = document.getElementById("push-on");
  if (!button || !("serviceWorker" in navigator) || !("PushManager" in window)) return;
  button.hidden = false;
  function b64(s) {
    var pad = "=".repeat((4 - s.length % 4) % 4);
    var raw = atob((s + pad).replace(/-/g, "+").replace(/_/g, "/"));
    return Uint8Array.from(raw, function (c) { return c.charCodeAt(0); });
  }
  button.addEventListener("click", async function () {
    var status = document.getElementById("push-status");
    try {
      var key = (await (await fetch("/push/key")).json()).key;
      var reg = await navigator.serviceWorker.register("/push-sw.js", {scope: "/"});
      await navigator.serviceWorker.ready;
      var sub = await reg.pushManager.subscribe({userVisibleOnly: true, applicationServerKey: b64(key)});
      var csrf = document.querySelector("meta[name=csrf-token]").content;
      var r = await fetch("/push/subscriptions", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf},
        body: JSON.stringify({subscription: sub.toJSON()})});
      status.textContent = r.ok ? button.dataset.done : button.dataset.failed;
    } catch (e) { status.textContent = button.dataset.failed; }
  });
})();
