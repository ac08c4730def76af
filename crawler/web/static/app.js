// newswatch review app: keyboard triage (j/k move, r/i judge, o/Enter open) and a few conveniences.
// No inline script anywhere (the Content-Security-Policy forbids it); pages say what they are in
// data- attributes.
"use strict";
(function () {
  var token = document.querySelector('meta[name="csrf-token"]').content;

  function typing(event) {
    var t = event.target;
    return event.ctrlKey || event.metaKey || event.altKey ||
      (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(t.tagName)));
  }

  function judge(matchId, verdict) {
    var body = new URLSearchParams({verdict: verdict, csrf: token});
    return fetch("/matches/" + matchId + "/verdict", {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"Accept": "application/json", "X-CSRF-Token": token}
    }).then(function (response) {
      if (!response.ok) { throw new Error("HTTP " + response.status); }
      return response.json();
    });
  }

  function showVerdict(badge, verdict) {
    badge.textContent = verdict;
    badge.className = "badge " + verdict;
  }

  // ------------------------------------------------------------------ inbox
  var rows = Array.prototype.slice.call(document.querySelectorAll("tr.row"));
  var current = -1;

  function select(index) {
    if (!rows.length) { return; }
    index = Math.max(0, Math.min(rows.length - 1, index));
    if (current >= 0) { rows[current].classList.remove("selected"); }
    current = index;
    rows[current].classList.add("selected");
    rows[current].scrollIntoView({block: "nearest"});
  }

  rows.forEach(function (row, index) {
    row.addEventListener("click", function (event) {
      if (event.target.tagName !== "A") { select(index); }
    });
  });

  function inboxKey(event) {
    var key = event.key;
    if (key === "j") { select(current + 1); }
    else if (key === "k") { select(current - 1); }
    else if ((key === "o" || key === "Enter") && current >= 0) { window.location = rows[current].dataset.href; }
    else if ((key === "r" || key === "i") && current >= 0) {
      var row = rows[current], verdict = key === "r" ? "relevant" : "irrelevant";
      var badge = row.querySelector(".badge");
      badge.textContent = "saving…";
      judge(row.dataset.match, verdict).then(function () {
        showVerdict(badge, verdict);
        row.classList.add("judged");
      }, function (error) {
        badge.textContent = "not saved (" + error.message + ")";
        badge.className = "badge error";
      });
      select(current + 1);
    } else { return; }
    event.preventDefault();
  }

  // ------------------------------------------------------------------ match page
  var match = document.querySelector("div.match");

  function matchKey(event) {
    var key = event.key;
    if (key === "j" && match.dataset.older) { window.location = match.dataset.older; }
    else if (key === "k" && match.dataset.newer) { window.location = match.dataset.newer; }
    else if (key === "r" || key === "i") {
      var verdict = key === "r" ? "relevant" : "irrelevant", badge = document.getElementById("verdict");
      badge.textContent = "saving…";
      judge(match.dataset.match, verdict).then(function () {
        showVerdict(badge, verdict);
        if (match.dataset.older) { window.location = match.dataset.older; }
      }, function (error) {
        badge.textContent = "not saved (" + error.message + ")";
        badge.className = "badge error";
      });
    } else { return; }
    event.preventDefault();
  }

  document.addEventListener("keydown", function (event) {
    if (typing(event)) { return; }
    if (match) { matchKey(event); } else if (rows.length) { inboxKey(event); }
  });

  // ------------------------------------------------------------------ one-click feedback links
  var auto = document.querySelector("form[data-autosubmit]");
  if (auto) { auto.submit(); }

  // ------------------------------------------------------------------ confirmations
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!window.confirm(form.dataset.confirm)) { event.preventDefault(); }
    });
  });
})();
