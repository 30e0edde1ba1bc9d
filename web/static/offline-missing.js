// The offline page (web/templates/offline.html) leads only where the phone can go without a signal:
// to the user's villages when the phone keeps that page (a village was downloaded, and its copy has
// not expired: OFFLINE_DAYS, as web/sw.js), else it says how to get them. Never back to itself.

const link = document.getElementById("offline-villages");

async function villagesKept() {
  const days = Number(link.dataset.days);
  for (const name of await caches.keys()) {
    if (!name.startsWith("phocap-user-")) continue;
    const page = await (await caches.open(name)).match("/villages");
    const at = Number(page?.headers.get("x-phocap-stored"));
    if (at && Date.now() - at <= days * 24 * 60 * 60 * 1000) return true;
  }
  return false;
}

if (link && window.caches) {
  villagesKept().then((kept) => {
    link.hidden = !kept;
    document.getElementById("offline-none").hidden = kept;
  });
}
