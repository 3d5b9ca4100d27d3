// Refreshes the social posts listing while any post is on its way.
// The results fragment carries [data-social-refresh] only while something is in
// flight, so polling stops by itself once every post has settled.
(function () {
  'use strict';

  var MIN_INTERVAL = 2000;

  function marker() {
    return document.querySelector('#listing-results [data-social-refresh]');
  }

  function schedule() {
    var current = marker();
    if (!current) {
      return;
    }
    var interval = Math.max(
      parseInt(current.getAttribute('data-interval'), 10) || 5000,
      MIN_INTERVAL
    );
    window.setTimeout(refresh, interval);
  }

  function refresh() {
    var current = marker();
    if (!current || document.hidden) {
      schedule();
      return;
    }
    var url = current.getAttribute('data-url') + window.location.search;
    window.councilSocial
      .fetchHtml(url)
      .then(function (html) {
        var results = document.getElementById('listing-results');
        if (results) {
          results.innerHTML = html;
        }
        schedule();
      })
      .catch(function () {
        // A failed refresh keeps the current list; try again later.
        window.setTimeout(refresh, 15000);
      });
  }

  document.addEventListener('DOMContentLoaded', schedule);
})();
