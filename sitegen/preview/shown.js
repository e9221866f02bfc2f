// The page tells the preview which build it shows (the number on this script's tag) when livereload's connection
// says what the page is, through livereload's own plugin interface: a build that ended after the page was served
// but before its connection was listening then reloads it too, instead of leaving it one build behind.
"use strict";
(() => {
  const build = Number(document.currentScript.dataset.build);
  class ShownBuild {
    static identifier = "sitegen-shown-build";
    static version = "1";
    analyze() {
      return {build};
    }
  }
  window.LiveReload.addPlugin(ShownBuild);
  if (window.LiveReload.connector.protocol >= 7) window.LiveReload.analyze();  // it said what the page is already
})();
