// The hotline's service worker for Web Push: shows a broadcast as a notification (one per
// broadcast: its tag replaces an earlier copy, so a message sent again after a crash shows once)
// with its answers as actions; an action opens that answer's signed link to confirm it.
self.addEventListener("push", function (event) {
  var data = {};
  try { data = event.data ? event.data.json() : {}; } catch (e) { data = {title: event.data ? event.data.text() : ""}; }
  var actions = (data.actions || []).slice(0, 2).map(function (a) { return {action: a.action, title: a.title}; });
  event.waitUntil(self.registration.showNotification(data.title || "", {
    body: data.body || "", tag: data.tag || "broadcast", renotify: true, requireInteraction: !!actions.length,
    data: data, actions: actions, lang: data.lang || ""
  }));
});

self.addEventListener("notificationclick", function (event) {
  var data = event.notification.data || {};
  var chosen = (data.actions || []).filter(function (a) { return a.action === event.action; })[0];
  var first = (data.actions || [])[0];
  event.notification.close();
  event.waitUntil(self.clients.openWindow(chosen ? chosen.url : (first ? first.url : "/")));
});
