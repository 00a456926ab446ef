// Short polling: re-fetch the server-rendered fragment in #live every few seconds.
// Skips a round while a form field inside it has focus, so typing is never interrupted.
(function () {
  "use strict";
  const box = document.getElementById("live");
  if (!box) return;
  const url = box.dataset.liveUrl;
  const every = Number(box.dataset.liveEvery || 2000);
  let busy = false;
  async function refresh() {
    if (busy || box.contains(document.activeElement) && document.activeElement !== document.body) return;
    busy = true;
    try {
      const r = await fetch(url, {credentials: "same-origin", headers: {"Accept": "text/html"}});
      if (r.status === 401) { location.reload(); return; }
      if (r.ok) {
        const html = await r.text();
        if (html !== box.dataset.last) { box.innerHTML = html; box.dataset.last = html; }
        box.dataset.refreshed = String(Number(box.dataset.refreshed || 0) + 1);
      }
    } catch (e) { /* offline for a moment: try again next round */ }
    finally { busy = false; }
  }
  setInterval(refresh, every);
})();
