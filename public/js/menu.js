// The main menu on a narrow screen: folded behind a "Menu" button (a disclosure with aria-expanded).
// Without this script the button stays hidden and the menu is simply shown. On a wide screen the
// stylesheet hides the button and always shows the menu, whatever the button says.
(() => {
  function enhance() {
    const nav = document.querySelector('.samspil-nav');
    const button = nav?.querySelector('.samspil-menu-toggle');
    const menu = button && document.getElementById(button.getAttribute('aria-controls') || '');
    if (!nav || !button || !menu) return;
    nav.classList.add('samspil-nav-enhanced');
    button.hidden = false;
    const setOpen = (open) => button.setAttribute('aria-expanded', open ? 'true' : 'false');
    button.addEventListener('click', () => setOpen(button.getAttribute('aria-expanded') !== 'true'));
    // Escape folds the menu away again and puts focus back on its button.
    nav.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || button.getAttribute('aria-expanded') !== 'true') return;
      if (getComputedStyle(button).display === 'none') return;
      setOpen(false);
      button.focus();
    });
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', enhance);
  else enhance();
})();
