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

  function swap(html) {
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
    (again || document.getElementById("cart-title")).focus({ preventScroll: true });
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
})();
