/* The venue map (Leaflet, self-hosted). Reads its settings from data- attributes and its
 * markers from a <script type="application/json"> block (no inline script: the CSP allows
 * 'self' only). The list of venues beside the map is the same content for screen readers
 * and without JavaScript; the map stays hidden until it can be drawn. */
(function () {
  "use strict";

  var element = document.getElementById("venue-map");
  if (!element || typeof window.L === "undefined") {
    return;
  }
  var source = document.getElementById(element.getAttribute("data-markers"));
  var markers = source ? JSON.parse(source.textContent) : [];
  if (!markers.length) {
    return;
  }
  element.hidden = false;

  var map = L.map(element, { scrollWheelZoom: false });
  L.tileLayer(element.getAttribute("data-tile-url"), {
    maxZoom: 19,
    attribution: element.getAttribute("data-attribution") || "",
  }).addTo(map);

  var points = [];
  markers.forEach(function (venue) {
    var popup = document.createElement("div");
    var link = document.createElement("a");
    link.href = venue.url;
    link.textContent = venue.name;
    popup.appendChild(link);
    if (venue.district) {
      var district = document.createElement("div");
      district.textContent = venue.district;
      popup.appendChild(district);
    }
    var marker = L.marker([venue.lat, venue.lng], { title: venue.name, alt: venue.name });
    marker.bindPopup(popup).addTo(map);
    points.push([venue.lat, venue.lng]);
  });
  if (points.length === 1) {
    map.setView(points[0], 16);
  } else {
    map.fitBounds(points, { padding: [24, 24], maxZoom: 16 });
  }
  element.setAttribute("data-ready", "true");
})();
