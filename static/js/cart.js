// Progressive enhancement of the cart page. Without this file every control is a plain
// form that posts and redirects; with it, the same forms post in the background and the
// server's cart fragment replaces the old one, so nothing reloads. One request at a
// time, in order, so fast clicks on "+" apply in the order they were made.
(function () {
  "use strict";
  var FRAGMENT = "X-Cart-Fragment";
  var queue = Promise.resolve();

  if (!document.getElementById("cart")) return;
  document.documentElement.classList.add("js");

  function swap(html, remote) {
    var template = document.createElement("template");
    template.innerHTML = html.trim();
    var fresh = template.content.firstElementChild;
    var focusedId = document.activeElement && document.activeElement.id;
    document.getElementById("cart").replaceWith(fresh);
    var count = document.querySelector("[data-cart-count]:not(section)");
    if (count) {
      count.textContent = fresh.dataset.cartCount;
      count.hidden = false;
    }
    // Keep the keyboard where it was: the control with the same id, if it still exists.
    var again = focusedId && document.getElementById(focusedId);
    if (again) again.focus({ preventScroll: true });
    // A change from another device must not pull the focus away from what the shopper is doing.
    else if (!remote) document.getElementById("cart-title").focus({ preventScroll: true });
  }

  function post(action, body, fallback) {
    queue = queue
      .then(function () {
        return fetch(action, {
          method: "POST",
          body: body,
          credentials: "same-origin",
          headers: { "X-Cart-Fragment": "1" },
        });
      })
      .then(function (response) {
        if (!response.headers.get(FRAGMENT)) throw new Error("not a cart fragment");
        return response.text().then(swap);
      })
      .catch(fallback);
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.classList.contains("js-share") && !form.dataset.native) {
      event.preventDefault();
      share(form, event.submitter);
      return;
    }
    if (form.dataset.once) {
      // Checkout: a second click while the first is on its way would try to buy again.
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      if (event.submitter) event.submitter.disabled = true;
      return;
    }
    if (!form.closest("#cart") || form.dataset.native) return;
    event.preventDefault();
    var submitter = event.submitter;
    post(form.action, new FormData(form, submitter), function () {
      // Let the browser do it the plain way: a full page load shows the outcome.
      form.dataset.native = "1";
      form.requestSubmit(submitter);
    });
  });

  document.addEventListener("change", function (event) {
    var input = event.target;
    if (!input.closest("#cart")) return;
    if (input.classList.contains("js-line-check")) {
      // Only the checkbox: a quantity typed but not sent must not ride along.
      var form = input.form;
      var body = new FormData();
      body.append("csrfmiddlewaretoken", form.elements.csrfmiddlewaretoken.value);
      body.append("has_checked", "1");
      if (input.checked) body.append("checked", "1");
      post(form.action, body, function () { window.location.reload(); });
    } else if (input.classList.contains("js-qty")) {
      input.form.requestSubmit();
    }
  });

  // Share: create the link in the background and copy it; where the clipboard is not
  // allowed, show it to copy by hand. Any failure falls back to the plain form.
  function share(form, submitter) {
    var result = form.querySelector(".share-result");
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-Share-Link": "1" },
    })
      .then(function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || "could not share");
          return body.url;
        });
      })
      .then(function (url) {
        var link = document.createElement("a");
        link.href = url;
        link.textContent = url;
        link.className = "share-link";
        function show(text) {
          result.textContent = text + " ";
          result.appendChild(link);
        }
        if (!navigator.clipboard) return show("Copy this link:");
        return navigator.clipboard.writeText(url).then(
          function () { show("Link copied:"); },
          function () { show("Copy this link:"); }
        );
      })
      .catch(function () {
        form.dataset.native = "1";
        form.requestSubmit(submitter);
      });
  }

  // Live sync: the server announces every new version of this shopper's cart (from
  // any tab or device); fetch the fragment only when it is newer than the one shown.
  // Last write wins per line, so the fresh fragment is simply the truth.
  var eventsUrl = document.getElementById("cart").dataset.eventsUrl;
  if (eventsUrl && window.EventSource) {
    var requested = 0;
    var source = new EventSource(eventsUrl);
    source.addEventListener("message", function (event) {
      // The first event comes once the server listens: from then on nothing is missed.
      document.documentElement.dataset.cartLive = "1";
      var version = JSON.parse(event.data).version;
      var shown = Number(document.getElementById("cart").dataset.version || 0);
      if (version <= shown || version <= requested) return;
      requested = version;
      queue = queue
        .then(function () {
          return fetch(window.location.pathname, {
            credentials: "same-origin",
            cache: "no-store",
            headers: { "X-Cart-Fragment": "1" },
          });
        })
        .then(function (response) {
          if (!response.headers.get(FRAGMENT)) throw new Error("not a cart fragment");
          return response.text().then(function (html) { swap(html, true); });
        })
        .catch(function () {
          requested = 0; // the next event tries again
        });
    });
  }
})();
