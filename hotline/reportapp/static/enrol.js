// The enrolment link's page: one press asks for a device token and keeps it on the phone (IndexedDB),
// then opens the app. The link works once; a used or expired one says so.
document.getElementById("enrol").addEventListener("click", function () {
  var link = JSON.parse(document.getElementById("enrol-data").textContent).link;
  fetch("/app/api/enrol", {method: "POST", headers: {"Content-Type": "application/json"},
                           body: JSON.stringify({link: link})})
    .then(function (r) { return r.ok ? r.json() : Promise.reject(r.status); })
    .then(function (body) {
      return Outbox.set("token", body.token).then(function () { return Outbox.set("name", body.name); });
    })
    .then(function () { location.replace("/app/"); },
          function () { document.getElementById("enrol-bad").hidden = false; });
});
