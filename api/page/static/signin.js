// Sign-in links carry the token in the URL fragment (/signin#token=slap_...): browsers never
// send a fragment to the server, so it stays out of access logs. This posts it with the
// form, after taking it out of the address bar and the history. Opening such a link while
// this page is shown changes only the fragment (no reload), hence the hashchange listener.
(function () {
  "use strict";
  function signInFromFragment() {
    var match = /^#token=([^&]+)/.exec(window.location.hash);
    if (!match) {
      return;
    }
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
    var form = document.getElementById("signin-form");
    form.elements.token.value = decodeURIComponent(match[1]);
    form.submit();
  }
  window.addEventListener("hashchange", signInFromFragment);
  signInFromFragment();
})();
