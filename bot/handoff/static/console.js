// Staff console: keeps the queue and the open case fresh (short polling, every second), inserts
// canned answers and fills in phrases from the phrasebook. Plain JS, no build step. The server escapes everything it renders.
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
          // A Textbaustein is in the person's language already: not to be machine-translated.
          var translate = document.getElementById("reply-translate");
          if (translate) { translate.checked = false; }
          textarea.value = textarea.value ? textarea.value.replace(/\s+$/, "") + "\n\n" + data.text : data.text;
          textarea.focus();
        } else if (data.error) {
          window.alert(data.error);
        }
      })
      .catch(function () { window.alert("Der Textbaustein konnte nicht geladen werden."); })
      .then(function () { button.disabled = false; });
  }

  // The phrasebook: typing German narrows the list; choosing a phrase shows only its slots; every
  // change asks the server for the German and the user's-language text, shown side by side.
  function fold(text) {
    return text.toLocaleLowerCase("de").normalize("NFKD").replace(/[\u0300-\u036f]/g, "").replace(/ß/g, "ss");
  }

  function setUpPhrasebook(form) {
    var search = document.getElementById("phrase-search");
    var choice = document.getElementById("phrase-choice");
    var german = document.getElementById("phrase-german");
    var forUser = document.getElementById("phrase-user");
    var userLanguage = document.getElementById("phrase-user-language");
    var problem = document.getElementById("phrase-problem");
    var slots = form.querySelectorAll("label.slot");
    var pending = null;

    function filter() {
      var words = fold(search.value).split(/\s+/).filter(Boolean);
      var first = null;
      Array.prototype.forEach.call(choice.options, function (option) {
        var text = fold(option.textContent);
        var match = words.every(function (word) { return text.indexOf(word) !== -1; });
        option.hidden = !match;
        option.disabled = !match;
        if (match && !first) { first = option; }
      });
      Array.prototype.forEach.call(choice.querySelectorAll("optgroup"), function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      var selected = choice.selectedOptions[0];
      if (first && (!selected || selected.hidden)) { choice.value = first.value; }
      showSlots();
    }

    function showSlots() {
      var selected = choice.selectedOptions[0];
      var wanted = selected ? selected.getAttribute("data-slots").split(" ") : [];
      Array.prototype.forEach.call(slots, function (label) {
        var used = wanted.indexOf(label.getAttribute("data-slot")) !== -1;
        label.hidden = !used;
        var input = label.querySelector("input, select");
        input.disabled = !used;  // a hidden slot is not sent
        input.required = used;
      });
      preview();
    }

    function preview() {
      window.clearTimeout(pending);
      pending = window.setTimeout(function () {
        if (!choice.value) { return; }
        var query = new URLSearchParams();
        query.set("phrase", choice.value);
        Array.prototype.forEach.call(form.querySelectorAll("[name^='slot_']"), function (input) {
          if (!input.disabled && input.value) { query.set(input.name, input.value); }
        });
        fetch(form.getAttribute("data-preview") + "?" + query.toString(), { headers: FETCH, credentials: "same-origin", cache: "no-store" })
          .then(function (response) { return response.json(); })
          .then(function (data) {
            problem.hidden = !data.error;
            problem.textContent = data.error || "";
            german.textContent = data.german || "";
            forUser.textContent = data.for_user || "";
            if (data.language) {
              forUser.lang = data.language;
              userLanguage.textContent = data.language_name + (data.fallback ? " (noch keine Übersetzung in der Sprache der Person)" : "");
            }
          })
          .catch(function () { /* the send button still works; the server checks again */ });
      }, 150);
    }

    search.addEventListener("input", filter);
    choice.addEventListener("change", showSlots);
    form.addEventListener("input", function (event) { if (event.target !== search) { preview(); } });
    form.addEventListener("change", function (event) { if (event.target !== choice && event.target !== search) { preview(); } });
    showSlots();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var phrasebook = document.getElementById("phrasebook");
    if (phrasebook) { setUpPhrasebook(phrasebook); }
    Array.prototype.forEach.call(document.querySelectorAll("[data-poll]"), function (element) {
      window.setTimeout(function () { poll(element); }, INTERVAL);
    });
    var canned = document.getElementById("canned-insert");
    if (canned) {
      canned.addEventListener("click", function () { insertCanned(canned); });
    }
  });
})();
