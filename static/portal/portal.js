// Small behaviours shared by every page: toasts fade out, modals open when htmx fills them.
(function () {
  function armToasts(root) {
    (root || document).querySelectorAll('.toast.show:not([data-armed])').forEach(function (el) {
      el.setAttribute('data-armed', '1');
      if (el.classList.contains('text-bg-danger')) return; // errors stay until dismissed
      setTimeout(function () { el.classList.remove('show'); el.remove(); }, 6000);
    });
  }
  document.addEventListener('DOMContentLoaded', function () { armToasts(); });
  document.body.addEventListener('htmx:afterSettle', function () { armToasts(); });
  document.body.addEventListener('htmx:afterSwap', function (evt) {
    if (evt.detail.target && evt.detail.target.id === 'modal-content') {
      bootstrap.Modal.getOrCreateInstance(document.getElementById('modal')).show();
    }
  });
  document.body.addEventListener('close-modal', function () {
    var m = document.getElementById('modal');
    if (m) bootstrap.Modal.getOrCreateInstance(m).hide();
  });
  // A failed htmx request (network or server) tells the user instead of doing nothing.
  document.body.addEventListener('htmx:responseError', function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status === 403 || xhr.status === 404) {
      // The portal's own explanation (role too low, or nothing there) is in the page it sent.
      var doc = new DOMParser().parseFromString(xhr.responseText || '', 'text/html');
      var box = doc.querySelector('[data-testid=forbidden] p, [data-testid=not-found] p');
      showError(box ? box.textContent.trim() : (xhr.status === 403 ? 'You may not do this.' : 'Not found.'));
      return;
    }
    showError('The portal could not complete that request (HTTP ' + xhr.status + '). Nothing was lost; try again.');
  });
  document.body.addEventListener('htmx:sendError', function () {
    showError('The portal did not answer. Check your network connection and try again.');
  });
  // "Copy" buttons: data-copy names the element whose text goes to the clipboard.
  document.body.addEventListener('click', function (evt) {
    var button = evt.target.closest('[data-copy]');
    if (!button) return;
    var source = document.getElementById(button.getAttribute('data-copy'));
    if (!source) return;
    var label = button.textContent;
    function done() { button.textContent = 'Copied'; setTimeout(function () { button.textContent = label; }, 1500); }
    function select() {
      var range = document.createRange();
      range.selectNodeContents(source);
      var selection = window.getSelection();
      selection.removeAllRanges();
      selection.addRange(range);
      try { if (document.execCommand('copy')) done(); } catch (e) { /* the text stays selected to copy by hand */ }
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(source.textContent).then(done, select);
    } else {
      select();
    }
  });
  // "Add a row" buttons: data-add-row names the table body whose last row is copied, emptied.
  document.body.addEventListener('click', function (evt) {
    var button = evt.target.closest('[data-add-row]');
    if (!button) return;
    var body = document.querySelector(button.getAttribute('data-add-row'));
    if (!body || !body.lastElementChild) return;
    var row = body.lastElementChild.cloneNode(true);
    row.querySelectorAll('input').forEach(function (input) { input.value = ''; });
    body.appendChild(row);
    var first = row.querySelector('input');
    if (first) first.focus();
  });
  function showError(text) {
    var box = document.getElementById('toasts');
    if (!box) return;
    var div = document.createElement('div');
    div.className = 'toast show align-items-center border-0 text-bg-danger';
    div.setAttribute('role', 'alert');
    div.innerHTML = '<div class="d-flex"><div class="toast-body"></div><button type="button" class="btn-close btn-close-white me-2 m-auto" data-bs-dismiss="toast" aria-label="Close"></button></div>';
    div.querySelector('.toast-body').textContent = text;
    box.appendChild(div);
  }
})();
