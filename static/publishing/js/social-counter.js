/*
 * Live character counters on a page's Social tab.
 *
 * The server composes each channel's text with the same code the outbox uses
 * and counts it the way the platform does (X by weight), so the browser only
 * sends the form's current values and shows the answer. No counting here.
 */
(function () {
  "use strict";

  // Each enabled platform's own text is a field named social_text_<platform>;
  // the form has those of the enabled platforms only.
  var TEXT_PREFIX = "social_text_";
  // Only these form fields (and the texts) are sent; files and the rest of the
  // form stay put.
  var FIELDS = [
    "title", "slug", "summary", "search_description",
    "social_mode", "social_accounts", "hero_image", "hero_image_alt",
    "video", "captions", "department", "youtube_title", "youtube_tags"
  ];

  function sent(name) {
    return FIELDS.indexOf(name) !== -1 || name.indexOf(TEXT_PREFIX) === 0;
  }
  var DELAY_MS = 400;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function csrfToken(form) {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) return input.value;
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function formValues(form, root) {
    var data = new FormData();
    var current = new FormData(form);
    current.forEach(function (value, name) {
      if (sent(name) && typeof value === "string") {
        data.append(name, value);
      }
    });
    data.append("page_id", root.dataset.pageId || "");
    data.append("parent_id", root.dataset.parentId || "");
    data.append("model", root.dataset.model || "");
    return data;
  }

  // The text with each finding's span wrapped in <mark>, built with text nodes
  // so nothing from the page is ever parsed as HTML. The server's offsets count
  // code points (Python), not UTF-16 units, so slice an array of code points.
  function highlighted(rawText, findings) {
    var points = Array.from(rawText);
    var text = { slice: function (from, to) { return points.slice(from, to).join(""); } };
    var box = element("div", "social-counter__text");
    var spans = findings
      .filter(function (f) {
        // Findings in the title, alt text or captions point into those fields.
        return (f.field || "text") === "text" && f.start !== null && f.end !== null;
      })
      .sort(function (a, b) { return a.start - b.start; });
    var position = 0;
    spans.forEach(function (finding) {
      if (finding.start < position) return; // overlaps one already marked
      box.appendChild(document.createTextNode(text.slice(position, finding.start)));
      var mark = element("mark", "", text.slice(finding.start, finding.end));
      mark.title = finding.message;
      box.appendChild(mark);
      position = finding.end;
    });
    box.appendChild(document.createTextNode(text.slice(position, points.length)));
    return box;
  }

  // "41 / 280 characters", then the platform's rule for counting them.
  function renderCount(counter, counted) {
    counter.appendChild(element(
      "p",
      "social-counter__count" + (counted.over_limit ? " social-counter__count--over" : ""),
      counted.length.toLocaleString("en-GB") + " / " +
        counted.limit.toLocaleString("en-GB") + " characters"
    ));
    counter.appendChild(element("p", "social-counter__rule", counted.rule));
  }

  function renderChannel(counter, channel) {
    counter.textContent = "";
    renderCount(counter, channel);
    if (channel.shortened) {
      counter.appendChild(element(
        "p", "social-counter__note",
        "Too long for " + channel.name + ": it will be cut to fit, ending with …"
      ));
    } else if (channel.over_limit) {
      counter.appendChild(element(
        "p", "social-counter__note",
        "Too long for " + channel.name + ": shorten it or it will fail."
      ));
    }
    if (channel.findings.length) {
      var list = element("ul", "social-counter__findings");
      channel.findings.forEach(function (finding) {
        list.appendChild(element("li", "", finding.message));
      });
      counter.appendChild(element(
        "p", "social-counter__note",
        "Held for a comms manager's approval:"
      ));
      counter.appendChild(list);
    }
    var details = element("details", "social-counter__preview");
    details.appendChild(element("summary", "", "What will be sent to " + channel.name));
    details.appendChild(highlighted(channel.text, channel.findings));
    if (channel.findings.length) details.open = true;
    counter.appendChild(details);
  }

  function renderPlan(list, plan) {
    list.textContent = "";
    if (!plan.accounts.length) {
      list.appendChild(element("li", "", plan.mode === "none"
        ? "This page will not be posted to social media."
        : "No connected account is chosen, so this page will not be posted."));
      return;
    }
    plan.accounts.forEach(function (account) {
      var item = element("li", "social-plan__account" +
        (account.sent ? "" : " social-plan__account--skipped"));
      item.appendChild(element("strong", "", account.platform_name));
      item.appendChild(document.createTextNode(": " + account.name));
      if (account.note) {
        item.appendChild(document.createTextNode(" "));
        item.appendChild(element("em", "", "(" + account.note + ")"));
      }
      list.appendChild(item);
    });
  }

  function counterFor(form, fieldName, platform) {
    var field = form.querySelector("[name=" + fieldName + "]");
    if (!field) return null;
    var counter = element("div", "social-counter");
    counter.setAttribute("aria-live", "polite");
    counter.dataset.platform = platform;
    field.insertAdjacentElement("afterend", counter);
    return counter;
  }

  function start(root) {
    var form = root.closest("form");
    if (!form) return;
    var counters = {};
    form.querySelectorAll("textarea[name^='" + TEXT_PREFIX + "']").forEach(function (field) {
      var platform = field.name.slice(TEXT_PREFIX.length);
      var counter = counterFor(form, field.name, platform);
      if (counter) counters[platform] = counter;
    });
    var titleCounter = counterFor(form, "youtube_title", "youtube-title");
    var accountList = root.querySelector("[data-social-accounts]");
    var timer = null;
    var latest = 0;

    function refresh() {
      var ticket = ++latest;
      fetch(root.dataset.url, {
        method: "POST",
        body: formValues(form, root),
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(form), "Accept": "application/json" }
      })
        .then(function (response) {
          return response.json().then(function (body) {
            if (!response.ok) throw new Error(body.error || response.statusText);
            return body;
          });
        })
        .then(function (body) {
          if (ticket !== latest) return; // an older answer arriving late
          Object.keys(counters).forEach(function (platform) {
            var channel = body.channels[platform];
            if (channel) renderChannel(counters[platform], channel);
          });
          var youtube = body.channels.youtube;
          if (titleCounter && youtube && youtube.title) {
            titleCounter.textContent = "";
            renderCount(titleCounter, youtube.title);
          }
          if (accountList) renderPlan(accountList, body.plan);
        })
        .catch(function (error) {
          Object.keys(counters).forEach(function (platform) {
            counters[platform].textContent =
              "The counter is not available: " + error.message;
          });
        });
    }

    function later() {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, DELAY_MS);
    }

    form.addEventListener("input", later);
    form.addEventListener("change", later);
    refresh();
  }

  function init() {
    document.querySelectorAll("[data-social-preview]").forEach(start);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
