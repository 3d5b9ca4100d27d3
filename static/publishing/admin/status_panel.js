// The Social tab's status panel: while a post of the page is on its way
// ([data-live]), fetch the panel again from its data-url and put it in place,
// until every channel is final (the fetched panel then has no data-live).
(function () {
  'use strict';

  var MIN_INTERVAL = 2000;

  function panel() {
    return document.querySelector('[data-social-status]');
  }

  function schedule(delay) {
    var current = panel();
    if (!current || !current.hasAttribute('data-live')) {
      return;
    }
    var interval = Math.max(
      parseInt(current.getAttribute('data-interval'), 10) || 4000,
      MIN_INTERVAL
    );
    window.setTimeout(refresh, delay || interval);
  }

  function refresh() {
    var current = panel();
    if (!current) {
      return;
    }
    if (document.hidden) {
      schedule();
      return;
    }
    window.councilSocial
      .fetchHtml(current.getAttribute('data-url'))
      .then(function (html) {
        var holder = document.createElement('div');
        holder.innerHTML = html;
        var fresh = holder.querySelector('[data-social-status]');
        if (fresh) {
          current.replaceWith(fresh);
        }
        schedule();
      })
      .catch(function () {
        // A failed refresh keeps what is shown; try again later.
        schedule(15000);
      });
  }

  document.addEventListener('DOMContentLoaded', function () {
    schedule();
  });
})();
