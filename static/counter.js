// The counter's keyboard flow: type part of a case type, Enter, a digit for the level, Enter.
(function () {
  "use strict";

  var MAX_OPTIONS = 8;
  var PREVIEW_URL = "/disk/forhandsvisning";
  var catalogue = [];
  var byCode = {};
  var refreshers = [];  // each set-up form's preview, run again when the mandates change

  function useCatalogue(entries) {
    catalogue = entries;
    byCode = {};
    catalogue.forEach(function (entry) { byCode[entry.code.toUpperCase()] = entry; });
  }

  var loaded = false;
  function loadCatalogue() {
    if (loaded) return;  // a form swapped in later keeps what the polls brought since
    loaded = true;
    var node = document.getElementById("catalogue-data");
    useCatalogue(node ? JSON.parse(node.textContent) : []);
  }

  function fold(text) {
    return text.toLowerCase().normalize("NFD").replace(/[\u0300-\u036f]/g, "");
  }

  // Matches keep the office's usage order; a code match or a word starting with the query ranks first.
  function search(query) {
    var q = fold(query.trim());
    if (!q) return catalogue.slice(0, MAX_OPTIONS);
    var strong = [], weak = [];
    catalogue.forEach(function (entry) {
      var code = fold(entry.code), name = fold(entry.name);
      if (code.indexOf(q) === 0 || (" " + name).indexOf(" " + q) >= 0) strong.push(entry);
      else if (name.indexOf(q) >= 0 || fold(entry.category).indexOf(q) >= 0) weak.push(entry);
    });
    return strong.concat(weak).slice(0, MAX_OPTIONS);
  }

  function label(entry) { return entry.code + " – " + entry.name; }

  function selectedEntry(input) {
    var code = input.value.split(" – ")[0].trim().toUpperCase();
    return byCode[code] || null;
  }

  function setup(form) {
    if (!form || form.dataset.ready) return;
    form.dataset.ready = "1";
    var input = form.querySelector("#case_type");
    var list = form.querySelector("#case-type-options");
    var preview = form.querySelector("#route-preview");
    var previewed = form.querySelector("input[name=previewed_outcome]");
    var citizen = form.querySelector("#citizen-section");
    var question = form.querySelector("textarea[name=question]");
    var levels = form.querySelectorAll("input[name=rosa_level]");
    var matches = [];
    var active = -1;

    function render() {
      list.innerHTML = "";
      matches.forEach(function (entry, index) {
        var item = document.createElement("li");
        item.id = "case-type-option-" + index;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", index === active ? "true" : "false");
        item.dataset.code = entry.code;
        var name = document.createElement("span");
        name.textContent = entry.name + " ";
        var code = document.createElement("span");
        code.className = "code";
        code.textContent = entry.code;
        name.appendChild(code);
        var owner = document.createElement("span");
        owner.className = "owner";
        owner.textContent = "mandat " + entry.mandate + " · " + entry.owner;
        item.appendChild(name);
        item.appendChild(owner);
        item.addEventListener("mousedown", function (event) {
          event.preventDefault();
          choose(entry);
        });
        list.appendChild(item);
      });
      var open = matches.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      if (open && active >= 0) input.setAttribute("aria-activedescendant", "case-type-option-" + active);
      else input.removeAttribute("aria-activedescendant");
    }

    function close() { matches = []; active = -1; render(); }

    function showGuidance(entry) {
      if (window.htmx) {
        htmx.ajax("GET", "/disk/arendetyper/" + encodeURIComponent(entry.code), { target: "#guidance", swap: "innerHTML" });
      }
    }

    // The routing preview is the server's (GET /disk/forhandsvisning, rosa.route with the
    // office's mandate): the page asks whenever case type, level, "kopplat" or the office
    // change, keeps the last answer on screen until the next one arrives, and drops any
    // answer that a newer question has overtaken.
    var officeField = form.querySelector("select[name=office]");
    var shown = null;       // the server's preview on screen (its .preview element)
    var asked = null;       // the query that preview answers, or the one on its way
    var pending = null;     // the AbortController of the request on its way
    var afterAnswer = null; // what Enter does once the answer on its way has arrived

    function previewQuery() {
      var entry = selectedEntry(input);
      if (!entry) return "";
      var checked = form.querySelector("input[name=rosa_level]:checked");
      var putThrough = form.querySelector("input[name=outcome], input[name=put_through]");
      var params = new URLSearchParams({ case_type: entry.code });
      if (checked) params.set("rosa_level", checked.value);
      if (putThrough && putThrough.checked) params.set("outcome", "kopplat");
      if (officeField && officeField.value) params.set("office", officeField.value);
      return params.toString();
    }

    function outcome() { return shown ? shown.getAttribute("data-outcome") || "" : ""; }

    function show(node) {
      if (node && !question) {
        // A form without a question field (the inbox's) has nothing to write it in.
        var ask = node.querySelector(".preview-ask");
        if (ask) ask.remove();
      }
      // The same words again (a refresh that changed nothing) are not read out again.
      if (!(node && shown && node.outerHTML === shown.outerHTML)) {
        preview.innerHTML = "";
        if (node) preview.appendChild(node);
        shown = node;
      }
      var tone = node ? node.getAttribute("data-tone") : "";
      preview.className = "route-preview" + (tone ? " " + tone : "");
      var said = outcome();
      if (previewed) previewed.value = said;
      var referred = node ? (node.getAttribute("data-referred-levels") || "").split(" ") : [];
      levels.forEach(function (radio) {
        radio.closest(".level").classList.toggle("above-mandate", referred.indexOf(radio.value) >= 0);
      });
      if (node) noticeMandate(node);
      if (citizen) {
        var isReferral = said === "eskalerat";
        citizen.classList.add("previewing");
        citizen.hidden = !isReferral && !citizen.dataset.filled && !citizenTyped();
        citizen.classList.toggle("required", isReferral);
        if (question) question.setAttribute("aria-required", isReferral ? "true" : "false");
      }
    }

    // Each answer carries the office's mandate as it is now: when it is not the one the
    // guidance card (or the type-ahead) shows, the mandate changed since they were loaded.
    function noticeMandate(node) {
      var mandate = node.getAttribute("data-mandate");
      var entry = selectedEntry(input);
      if (!mandate || !entry) return;
      entry.mandate = Number(mandate);
      var card = document.querySelector("#guidance .guidance-card");
      if (card && card.getAttribute("data-case-type") === entry.code &&
          card.getAttribute("data-mandate") !== mandate) {
        showGuidance(entry);
        var note = document.getElementById("catalogue-status");
        if (note) note.textContent = "Mandaten har ändrats – förhandsbeskedet och vägledningen är uppdaterade.";
      }
    }

    function failed(text) {
      var node = document.createElement("span");
      node.className = "preview preview-error";
      node.setAttribute("data-outcome", "");
      node.textContent = text;
      show(node);
    }

    function settled(controller) {
      if (pending !== controller) return;
      pending = null;
      preview.removeAttribute("aria-busy");
      var then = afterAnswer;
      afterAnswer = null;
      if (then) then();
    }

    function updatePreview(force) {
      var query = previewQuery();
      if (query === asked && !force) return;
      asked = query;
      if (pending) pending.abort();
      pending = null;
      // Until the answer comes the page has said nothing about this choice: a contact
      // sent meanwhile carries no preview to compare the server's decision with.
      if (previewed) previewed.value = "";
      if (!query) {
        show(null);
        settled(null);
        return;
      }
      var controller = pending = new AbortController();
      preview.setAttribute("aria-busy", "true");
      fetch(PREVIEW_URL + "?" + query, {
        headers: { "HX-Request": "true" }, credentials: "same-origin", signal: controller.signal
      })
        .then(function (response) {
          // Logged out meanwhile: to the login page, as htmx does for the page's other parts.
          var away = response.headers.get("HX-Redirect");
          if (away) { window.location.href = away; return; }
          return response.text().then(function (html) {
            if (pending !== controller) return;
            var box = document.createElement("template");
            box.innerHTML = response.redirected ? "" : html;  // a redirect: the login page
            var node = box.content.querySelector(".preview");
            if (node) show(node);
            else failed("Förhandsbeskedet kunde inte hämtas – ladda om sidan.");
          });
        })
        .catch(function () {
          if (pending !== controller) return;  // overtaken: the newer answer decides
          failed("Förhandsbeskedet kunde inte hämtas just nu – disken avgör när du registrerar.");
        })
        .then(function () { settled(controller); });
    }

    // Enter acts on the answer to what is chosen now, even if it is still on its way.
    function whenPreviewed(then) {
      if (pending) afterAnswer = then;
      else then();
    }

    function citizenTyped() {
      var typed = false;
      citizen.querySelectorAll("input[type=text], input[type=tel], input[type=email], textarea").forEach(function (field) {
        if (field.value.trim()) typed = true;
      });
      return typed;
    }

    // A referral needs the question: Enter on a level goes there first instead of sending.
    function needsQuestion() {
      return citizen && question && outcome() === "eskalerat" && !question.value.trim();
    }

    function choose(entry) {
      input.value = label(entry);
      close();
      showGuidance(entry);
      updatePreview();
      var target = form.querySelector("input[name=rosa_level]:checked") || levels[0];
      if (target) target.focus();
    }

    input.addEventListener("input", function () {
      matches = search(input.value);
      active = matches.length ? 0 : -1;
      render();
      updatePreview();
    });
    input.addEventListener("focus", function () {
      if (!selectedEntry(input)) { matches = search(input.value); active = matches.length ? 0 : -1; render(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!open) { matches = search(input.value); active = 0; render(); event.preventDefault(); return; }
        var step = event.key === "ArrowDown" ? 1 : -1;
        active = (active + step + matches.length) % matches.length;
        render();
        event.preventDefault();
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        choose(matches[active]);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        close();
      } else if (event.key === "Tab" && open && active >= 0 && !selectedEntry(input)) {
        choose(matches[active]);
        event.preventDefault();
      }
    });

    // Digits pick the level, Enter sends, from anywhere in the level and channel groups.
    form.addEventListener("keydown", function (event) {
      var target = event.target;
      var inGroup = target.name === "rosa_level" || target.name === "channel" ||
        target.type === "checkbox" || (target === input && list.hidden && selectedEntry(input));
      if (!inGroup || event.altKey || event.ctrlKey || event.metaKey) return;
      if (/^[1-8]$/.test(event.key)) {
        var radio = form.querySelector("input[name=rosa_level][value='" + event.key + "']");
        radio.checked = true;
        radio.focus();
        updatePreview();
        event.preventDefault();
      } else if (event.key === "Enter" && target !== input) {
        event.preventDefault();
        whenPreviewed(function () {
          if (needsQuestion()) { citizen.hidden = false; question.focus(); return; }
          form.requestSubmit();
        });
      }
    });
    form.addEventListener("change", function () { updatePreview(); });
    if (question) {
      question.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit();
        }
      });
    }

    refreshers = refreshers.filter(function (r) { return document.body.contains(r.form); });
    refreshers.push({ form: form, run: function () { updatePreview(true); refreshGuidance(); } });
    function refreshGuidance() {
      var entry = selectedEntry(input);
      if (entry && document.getElementById("guidance")) showGuidance(entry);
    }

    // A form the server sent back with a choice (an error, a correction) has its preview
    // already; one without asks for it.
    var rendered = preview.querySelector(".preview");
    if (rendered) { asked = previewQuery(); show(rendered); }
    else updatePreview(true);
  }

  // The mandates can change while the page is open (a manager's decision, an approval):
  // ask the server every few seconds whether they did, and preview with the new ones.
  function watchCatalogue() {
    var node = document.getElementById("catalogue-data");
    if (!node || !node.dataset.url || !window.fetch) return;
    var version = node.dataset.version || "";
    var seconds = Number(node.dataset.pollSeconds) || 15;
    function poll() {
      var headers = { "X-Background-Refresh": "1" };
      if (version) headers["If-None-Match"] = '"' + version + '"';
      fetch(node.dataset.url, { headers: headers, credentials: "same-origin" })
        .then(function (response) {
          if (response.status !== 200) return null;
          return response.json();
        })
        .then(function (data) {
          if (!data) return;
          var changed = version !== "" && data.version !== version;
          version = data.version;
          useCatalogue(data.case_types);
          refreshers.forEach(function (r) { if (document.body.contains(r.form)) r.run(); });
          if (changed) {
            var note = document.getElementById("catalogue-status");
            if (note) note.textContent = "Mandaten har ändrats – förhandsbeskedet och vägledningen är uppdaterade.";
          }
        })
        .catch(function () { /* offline for a moment: the next poll tries again */ });
    }
    setInterval(poll, seconds * 1000);
  }

  function init(root) {
    loadCatalogue();
    // The counter's contact form, or the inbox's handling form: both carry the same controls.
    var form = (root && root.hasAttribute && root.hasAttribute("data-counter-form"))
      ? root : document.querySelector("form[data-counter-form]");
    setup(form);
  }

  // Alt+letter picks a channel from anywhere on the page (the underlined letter).
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey) return;
    var radio = document.querySelector("#contact-form input[name=channel][data-shortcut='" + event.key.toLowerCase() + "']");
    if (!radio) return;
    radio.checked = true;
    event.preventDefault();
  });

  // Answers to list actions (deleted, flagged, refused) arrive as HX-Trigger events.
  function showMessage(text, isError) {
    var box = document.getElementById("counter-message");
    if (!box) return;
    box.textContent = text;
    box.className = isError ? "flash flash-error" : "flash";
    box.hidden = false;
  }
  // The note about changed mandates has been read once the next contact is logged.
  document.addEventListener("contact-logged", function () {
    var note = document.getElementById("catalogue-status");
    if (note) note.textContent = "";
  });
  document.addEventListener("counter-message", function (event) { showMessage(event.detail.value, false); });
  document.addEventListener("counter-error", function (event) { showMessage(event.detail.value, true); });

  // After "Uppringd – klar" the card is gone: put the focus on the next card's button,
  // or on the heading when none is left, instead of dropping it to the page's start.
  var closedAt = -1;  // the position of the call-back the guide just closed
  document.addEventListener("htmx:beforeRequest", function (event) {
    var card = event.target.closest && event.target.closest("#callbacks .callback");
    if (!card) return;
    closedAt = Array.prototype.indexOf.call(document.querySelectorAll("#callbacks .callback"), card);
  });
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "callbacks") return;
    var config = event.detail.requestConfig || {};
    if ((config.verb || "").toLowerCase() !== "post") return;  // a poll, not the guide's action
    var cards = target.querySelectorAll(".callback");
    var heading = document.getElementById("callbacks-heading");
    if (cards.length) {
      var next = cards[Math.min(Math.max(closedAt, 0), cards.length - 1)];
      next.querySelector("button").focus();
    } else if (heading) {
      heading.setAttribute("tabindex", "-1");
      heading.focus();
    }
    closedAt = -1;
  });

  document.addEventListener("DOMContentLoaded", function () {
    init(document);
    watchCatalogue();
    if (window.htmx) {
      htmx.onLoad(function (element) {
        if (element.hasAttribute && element.hasAttribute("data-counter-form")) init(element);
      });
    }
  });
})();
