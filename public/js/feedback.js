// Feedback after a form is sent (works under the CSP: no inline script, no eval).
// A success message already on a page when it loads sits in a live region, which screen readers
// announce only when its content changes. Its text is put into a second, hidden live region a moment
// after the page has loaded, and so announced. The message itself stays where it is: emptying it and
// putting it back moved everything below it twice as the page loaded, and a click in that moment
// landed beside the button aimed at. A request made with htmx brings its own message, if any: the
// announcer is emptied as it starts, so it never repeats a message of the page before.
document.addEventListener('DOMContentLoaded', () => {
  const region = document.getElementById('flash');
  const announcer = document.getElementById('flash-announce');
  if (!announcer) return;
  document.addEventListener('htmx:beforeRequest', () => {
    announcer.textContent = '';
  });
  if (!region?.children.length) return;
  const text = Array.from(region.children, (message) => message.textContent.trim()).join(' ');
  setTimeout(() => {
    announcer.textContent = text;
  }, 200);
});
