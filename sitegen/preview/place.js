// The preview keeps the editor's place when a save reloads the page (or they come back to it): the element with an
// id at the top of the window (a fact, a reference, a paragraph of an article) and its distance from the top, not a
// scroll offset. Long lists are laid out only where they are read (content-visibility in the site's stylesheet), so
// on a fresh load everything above the window has an estimated height and the browser's own restored offset would
// land on another fact.
// A save that adds or removes a fact before it, on a topic or timeline in pages, moves the element to another page:
// the preview says which (/_preview/place), and this page is replaced by that one, where the place is put back.
"use strict";
(() => {
  const PREFIX = "sitegen-preview-place:";
  const FOLLOWED = "sitegen-preview-followed";     // the page an element was followed to, until it has loaded
  const KEY = PREFIX + location.pathname + location.search;
  history.scrollRestoration = "manual";

  // the first element with an id under the middle of the window, from its top edge down
  const anchor = () => {
    for (let y = 1; y < innerHeight; y += 16) {
      const found = document.elementFromPoint(innerWidth / 2, y)?.closest("main [id]:not(summary)");
      if (found) return found;
    }
    return null;
  };

  addEventListener("pagehide", () => {
    const at = anchor();
    sessionStorage.setItem(KEY, JSON.stringify({x: scrollX, y: scrollY, id: at?.id ?? null,
                                                 top: at ? at.getBoundingClientRect().top : 0}));
  });

  const navigation = performance.getEntriesByType("navigation")[0];
  const followed = sessionStorage.getItem(FOLLOWED) === location.pathname;
  sessionStorage.removeItem(FOLLOWED);
  if (!followed && (!navigation || !["reload", "back_forward"].includes(navigation.type))) return;
  let place = null;
  try {
    place = JSON.parse(sessionStorage.getItem(KEY));
  } catch (error) {
    return;
  }
  if (!place) return;
  // put it back now, and at each frame until the page has settled (loaded, the webfont in, three frames without a
  // move: the font and the facts near the window, laid out for the first time, move the lines), for 5 s at most;
  // never once the editor has scrolled
  let moved = false;
  for (const type of ["wheel", "touchstart", "keydown", "mousedown"]) {
    addEventListener(type, () => { moved = true; }, {once: true, passive: true});
  }
  const at = place.id ? document.getElementById(place.id) : null;
  const drift = () => at ? at.getBoundingClientRect().top - place.top : place.y - scrollY;   // how far to scroll
  let still = 0;
  const putBack = () => {
    if (moved) return;
    const by = drift();
    const from = scrollY;
    if (Math.abs(by) >= 1) scrollTo({left: place.x, top: scrollY + by, behavior: "instant"});
    still = scrollY === from ? still + 1 : 0;    // in place, or as near as the page's length lets it be
    const settled = document.readyState === "complete" && document.fonts.status === "loaded" && still >= 3;
    if (!settled && performance.now() < 5000) requestAnimationFrame(putBack);
  };
  if (place.id && !at && !followed) follow(place, putBack);
  else putBack();

  // the element is on another page of this series now: go there (replacing this page in the history), keeping
  // the place; if no page of it holds the element any more, the scroll offset is put back here instead
  function follow(kept, otherwise) {
    const ask = new URLSearchParams({page: location.pathname, id: kept.id});
    fetch("/_preview/place?" + ask, {cache: "no-store"})
      .then(answer => answer.ok ? answer.json() : null)
      .then(found => {
        if (!found || found.page === location.pathname) return otherwise();
        sessionStorage.setItem(PREFIX + found.page, JSON.stringify(kept));
        sessionStorage.setItem(FOLLOWED, found.page);
        location.replace(found.page);
      })
      .catch(otherwise);
  }
})();
