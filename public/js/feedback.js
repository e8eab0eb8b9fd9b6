// Feedback after a form is sent (works under the CSP: no inline script, no eval).
// A success message already on a page when it loads sits in a live region that screen readers
// announce only when its content changes: it is put back a moment after the page has loaded.
document.addEventListener('DOMContentLoaded', () => {
  const region = document.getElementById('flash');
  if (!region?.children.length) return;
  const messages = Array.from(region.children);
  region.replaceChildren();
  setTimeout(() => region.replaceChildren(...messages), 200);
});
