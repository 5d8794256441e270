/* The catalogue's filters, made quicker (the page works without this file).
 * - On a wide screen the filters start unfolded beside the results.
 * - Empty fields are left out of the URL that htmx requests and pushes to the history,
 *   and a request that would change nothing is not sent.
 * - The header's language links follow the address as the filters change.
 * - "Nearest" asks the browser for the location once; without it (refused, unavailable)
 *   the server sorts by the chosen district or by date. */
(function () {
  "use strict";

  var form = document.getElementById("catalogue-filters");
  if (!form) {
    return;
  }
  var details = document.getElementById("filters");
  if (details && window.matchMedia("(min-width: 60rem)").matches) {
    details.open = true;
  }

  form.addEventListener("htmx:configRequest", function (event) {
    var params = event.detail.parameters;
    var keys = [];
    var seen = {};
    Array.from(params.keys()).forEach(function (key) {
      if (!seen[key]) {
        seen[key] = true;
        keys.push(key);
      }
    });
    keys.forEach(function (key) {
      var values = params.getAll(key).filter(function (value) {
        return value !== "";
      });
      params.delete(key);
      values.forEach(function (value) {
        params.append(key, value);
      });
    });
    // Nothing changed (a "change" fired again on leaving a field): no request, and no
    // duplicate entry in the history that Back would have to step through.
    if (pairs(params) === pairs(new URLSearchParams(window.location.search))) {
      event.preventDefault();
    }
  });

  function pairs(entries) {
    var list = [];
    Array.from(entries.keys()).forEach(function (key) {
      if (key === "page") {
        return;
      }
      entries.getAll(key).forEach(function (value) {
        if (value !== "") {
          list.push(key + "=" + value);
        }
      });
    });
    return Array.from(new Set(list)).sort().join("&");
  }

  // The language links in the header keep the filters that htmx put in the address.
  function syncLanguageLinks() {
    document.querySelectorAll(".lang-switch a[hreflang]").forEach(function (link) {
      link.search = window.location.search;
    });
  }
  document.body.addEventListener("htmx:pushedIntoHistory", syncLanguageLinks);
  document.body.addEventListener("htmx:historyRestore", syncLanguageLinks);
  window.addEventListener("popstate", syncLanguageLinks);

  var sort = form.querySelector("#id_sort");
  var lat = form.querySelector("#id_lat");
  var lng = form.querySelector("#id_lng");
  var asked = false;
  form.addEventListener("htmx:confirm", function (event) {
    if (!sort || !lat || !lng || sort.value !== "nearest" || lat.value || asked || !navigator.geolocation) {
      return;
    }
    asked = true;
    event.preventDefault();
    var go = function () {
      event.detail.issueRequest(true);
    };
    navigator.geolocation.getCurrentPosition(
      function (position) {
        lat.value = position.coords.latitude.toFixed(5);
        lng.value = position.coords.longitude.toFixed(5);
        go();
      },
      go,
      { enableHighAccuracy: false, timeout: 8000, maximumAge: 600000 }
    );
  });
})();
