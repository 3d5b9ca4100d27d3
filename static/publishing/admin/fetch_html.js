// One fetch of an admin HTML fragment, shared by the scripts that refresh the
// dashboard and the Social tab's status panel: resolves with the HTML, rejects
// on a network error or an HTTP error status.
window.councilSocial = window.councilSocial || {};
window.councilSocial.fetchHtml = function (url) {
  'use strict';
  return fetch(url, {
    credentials: 'same-origin',
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
  }).then(function (response) {
    if (!response.ok) {
      throw new Error('HTTP ' + response.status);
    }
    return response.text();
  });
};
