// Staff console: keeps the queue and the open case fresh (short polling, every second) and inserts
// canned answers. Plain JS, no build step. The server escapes everything it renders.
(function () {
  "use strict";

  var INTERVAL = 1000;
  var FETCH = { "X-Console-Fetch": "1" };

  function poll(element) {
    fetch(element.getAttribute("data-poll"), { headers: FETCH, credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (response.status === 401) {
          window.location.assign(document.querySelector("a.brand").getAttribute("href") + "/login");
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (html !== null && html !== element.getAttribute("data-last")) {
          element.innerHTML = html;
          element.setAttribute("data-last", html);
        }
      })
      .catch(function () { /* offline for a moment: try again */ })
      .then(function () { window.setTimeout(function () { poll(element); }, INTERVAL); });
  }

  function insertCanned(button) {
    var select = document.getElementById("canned-topic");
    var textarea = document.getElementById("reply-text");
    if (!select.value) { select.focus(); return; }  // no topic chosen yet: nothing to insert
    var url = button.getAttribute("data-url") + "?topic=" + encodeURIComponent(select.value);
    button.disabled = true;
    fetch(url, { headers: FETCH, credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (data.text) {
          textarea.value = textarea.value ? textarea.value.replace(/\s+$/, "") + "\n\n" + data.text : data.text;
          textarea.focus();
        } else if (data.error) {
          window.alert(data.error);
        }
      })
      .catch(function () { window.alert("Der Textbaustein konnte nicht geladen werden."); })
      .then(function () { button.disabled = false; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), function (element) {
      window.setTimeout(function () { poll(element); }, INTERVAL);
    });
    var canned = document.getElementById("canned-insert");
    if (canned) {
      canned.addEventListener("click", function () { insertCanned(canned); });
    }
  });
})();
