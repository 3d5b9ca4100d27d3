/*
 * Click-to-play video. The page shows our own poster and a button; the player
 * frame (youtube-nocookie, or the sandbox in development) is created only when
 * the visitor presses the button, so viewing a page sends nothing to YouTube.
 * Loaded as an external file: the site's Content-Security-Policy allows no
 * inline script.
 */
(function () {
  "use strict";

  function play(container) {
    var url = container.getAttribute("data-player-url");
    if (!url) {
      return;
    }
    var frame = document.createElement("iframe");
    frame.src = url;
    frame.title = container.getAttribute("data-player-title") || "Video";
    frame.className = "video__frame";
    frame.setAttribute("allow", "autoplay; encrypted-media; picture-in-picture; fullscreen");
    frame.setAttribute("referrerpolicy", "strict-origin-when-cross-origin");
    frame.setAttribute("tabindex", "0");
    var poster = container.querySelector(".video__poster");
    var button = container.querySelector("[data-video-play]");
    if (poster) {
      poster.replaceWith(frame);
    } else {
      container.insertBefore(frame, container.firstChild);
    }
    if (button) {
      button.remove();
    }
    container.classList.add("video--playing");
    frame.focus();
  }

  document.querySelectorAll("[data-video-player]").forEach(function (container) {
    var button = container.querySelector("[data-video-play]");
    if (button) {
      button.addEventListener("click", function () {
        play(container);
      });
    }
  });
})();
