// /signout: what signing out does to what is on this phone. The user's waiting visits and attendance
// stay until sent (after the next sign-in), or go with a second, explicit tap; downloaded villages go
// and need a signal to come again. Loaded by offline.js on that page only; `phone` is what offline.js shares.

export default async function signOutPage(phone) {
  const section = document.getElementById("signout");
  const { waiting = 0, review = 0, parked = 0, stored = 0 } = await phone.ask({ type: "signout" });
  const mine = waiting + review;
  const told = document.getElementById("signout-waiting");
  told.textContent = phone.fill(section.dataset.waiting, { n: mine });
  told.hidden = mine === 0;
  document.getElementById("signout-queue").hidden = mine === 0;
  document.getElementById("signout-stored").hidden = stored === 0;
  // Without `keep` the server has the browser delete all it stored, the queue too.
  section.querySelector('form:not(#signout-discard) input[name="keep"]').value = mine + parked ? "1" : "";
  const discard = document.getElementById("signout-discard");
  discard.querySelector('input[name="keep"]').value = parked ? "1" : "";
  discard.hidden = mine === 0;
  // The dates of villages downloaded go with their pages (the worker deletes those).
  const forget = () => Object.keys(localStorage).filter((k) => k.startsWith("phocap:")).forEach((k) => localStorage.removeItem(k));
  section.querySelector("form:not(#signout-discard)").addEventListener("submit", forget);
  const button = discard.querySelector("button");
  button.addEventListener("click", () => {
    if (button.dataset.armed) {
      forget();
      discard.submit();
      return;
    }
    button.dataset.armed = "1";
    button.textContent = phone.fill(section.dataset.discardAgain, { n: mine });
  });
}
