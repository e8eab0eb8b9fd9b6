// The filter box of a checkbox picker (views/partials/checkbox-picker.eta): shown only when this runs.
// Typing hides the options that do not match, never a ticked one, and a status line says how many
// are shown. Without JavaScript the picker is a plain list of checkboxes.
(() => {
  function enhance(picker) {
    const filter = picker.querySelector('.samspil-picker-filter');
    const input = filter?.querySelector('input');
    const count = filter?.querySelector('.samspil-picker-count');
    if (!filter || !input || !count) return;
    const options = Array.from(picker.querySelectorAll('.samspil-picker-option'));
    const groups = Array.from(picker.querySelectorAll('.samspil-picker-group'));
    const texts = options.map((o) => o.textContent.trim().toLocaleLowerCase('da'));
    filter.hidden = false;
    let timer;
    function apply() {
      const q = input.value.trim().toLocaleLowerCase('da');
      let shown = 0;
      options.forEach((option, i) => {
        const visible = !q || texts[i].includes(q) || option.querySelector('input')?.checked;
        option.hidden = !visible;
        if (visible) shown++;
      });
      for (const group of groups) group.hidden = !group.querySelector('.samspil-picker-option:not([hidden])');
      count.textContent = q
        ? (count.dataset.template || '').replace('{count}', String(shown)).replace('{total}', String(options.length))
        : '';
    }
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(apply, 200);
    });
    // Enter in the filter box filters; it does not send the form.
    input.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter') return;
      event.preventDefault();
      clearTimeout(timer);
      apply();
    });
  }
  function start() {
    for (const picker of document.querySelectorAll('[data-picker-filter]')) enhance(picker);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
