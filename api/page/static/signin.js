// Sign-in links carry the token in the URL fragment (/signin#token=slap_...): browsers never
// send a fragment to the server, so it stays out of access logs. This posts it with the
// form, after taking it out of the address bar and the history.
(function () {
  "use strict";
  var match = /^#token=([^&]+)/.exec(window.location.hash);
  if (!match) {
    return;
  }
  window.history.replaceState(null, "", window.location.pathname + window.location.search);
  var form = document.getElementById("signin-form");
  form.elements.token.value = decodeURIComponent(match[1]);
  form.submit();
})();
