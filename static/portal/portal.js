// Every behaviour of the portal's pages lives here: the Content-Security-Policy allows no inline script
// and no inline event handler. Behaviours attach to data attributes and ids, by event delegation where
// htmx may swap the elements in later.
(function () {
  function armToasts(root) {
    (root || document).querySelectorAll('.toast.show:not([data-armed])').forEach(function (el) {
      el.setAttribute('data-armed', '1');
      if (el.classList.contains('text-bg-danger')) return; // errors stay until dismissed
      setTimeout(function () { el.classList.remove('show'); el.remove(); }, 6000);
    });
  }

  // Widths computed by the server (a progress bar) come as data-width-percent: CSSOM, not a style attribute.
  function applyWidths(root) {
    (root || document).querySelectorAll('[data-width-percent]').forEach(function (el) {
      var percent = parseFloat(el.getAttribute('data-width-percent'));
      if (!isNaN(percent)) el.style.width = Math.max(0, Math.min(100, percent)) + '%';
    });
  }

  // User and group forms: “Another … type” reveals the ID field under the select; without JavaScript both
  // stay visible. “Generate a strong password” makes typing one pointless.
  function syncTypeAndPasswordFields(root) {
    (root || document).querySelectorAll('select[name="user_type"], select[name="group_type"]').forEach(function (select) {
      var other = document.getElementById(select.id + '_other');
      if (!other) return;
      var box = other.closest('.mb-3');
      var show = select.value === '__other__' || other.classList.contains('is-invalid');
      box.classList.toggle('d-none', !show);
    });
    var generate = document.getElementById('id_generate_password');
    var password = document.getElementById('id_password');
    if (generate && password) {
      password.disabled = generate.checked;
      if (generate.checked) password.value = '';
    }
  }

  // The group member picker: ticking a search result moves it to the “picked” chips, so it survives the
  // next search; every chip carries a hidden user_id input posted with the form.
  function armMemberPicker() {
    var form = document.getElementById('member-picker');
    if (!form || form.hasAttribute('data-armed')) return;
    form.setAttribute('data-armed', '1');
    var picked = document.getElementById('member-selected');
    var count = document.getElementById('member-selected-count');
    var button = document.getElementById('member-add-button');
    function refresh() {
      var n = picked.querySelectorAll('input[name="user_id"]').length;
      count.textContent = n === 0 ? 'Nobody picked yet.' : n + (n === 1 ? ' person' : ' people') + ' picked.';
      button.disabled = n === 0;
      form.querySelectorAll('#member-results input[type=checkbox]').forEach(function (box) {
        box.checked = !!picked.querySelector('[data-user-id="' + box.value + '"]');
      });
    }
    function pick(id, label) {
      if (picked.querySelector('[data-user-id="' + id + '"]')) return;
      var chip = document.createElement('span');
      chip.className = 'badge rounded-pill text-bg-light border d-inline-flex align-items-center gap-1 fw-normal fs-6';
      chip.setAttribute('data-user-id', id);
      chip.setAttribute('data-testid', 'picked-user');
      var text = document.createElement('span');
      text.textContent = label;
      var input = document.createElement('input');
      input.type = 'hidden'; input.name = 'user_id'; input.value = id;
      var close = document.createElement('button');
      close.type = 'button'; close.className = 'btn-close btn-sm'; close.setAttribute('aria-label', 'Remove ' + label);
      close.addEventListener('click', function () { chip.remove(); refresh(); });
      chip.append(text, input, close);
      picked.appendChild(chip);
    }
    form.addEventListener('change', function (evt) {
      var box = evt.target;
      if (!box.matches('#member-results input[type=checkbox]')) return;
      if (box.checked) { pick(box.value, box.getAttribute('data-label')); }
      else { var chip = picked.querySelector('[data-user-id="' + box.value + '"]'); if (chip) chip.remove(); }
      refresh();
    });
    // Results are checkboxes named user_id too (so the form works without JavaScript); with the chips
    // holding the picks, the result boxes themselves must not be posted twice.
    form.addEventListener('submit', function () {
      form.querySelectorAll('#member-results input[type=checkbox]').forEach(function (box) { box.disabled = true; });
    });
    document.body.addEventListener('htmx:afterSettle', function (evt) {
      if (evt.detail.target && evt.detail.target.id === 'member-results') refresh();
    });
    form.addEventListener('keydown', function (evt) {
      if (evt.key === 'Enter' && evt.target.id === 'member-search') evt.preventDefault();
    });
    refresh();
  }

  function arm(root) {
    armToasts(root);
    applyWidths(root);
    syncTypeAndPasswordFields(root);
    armMemberPicker();
  }

  // The connection form shows the credentials of the chosen kind (API token or OAuth client) only.
  function syncAuthKind() {
    var chosen = document.querySelector('input[name="auth_kind"]:checked');
    if (!chosen) return;
    document.querySelectorAll('[data-auth-kind]').forEach(function (part) {
      part.hidden = part.getAttribute('data-auth-kind') !== chosen.value;
    });
  }

  document.addEventListener('DOMContentLoaded', function () { arm(); syncAuthKind(); });
  document.body.addEventListener('htmx:afterSettle', function () { arm(); syncAuthKind(); });

  document.addEventListener('change', function (evt) {
    if (evt.target.matches('select[name="user_type"], select[name="group_type"], #id_generate_password')) {
      syncTypeAndPasswordFields();
    }
    if (evt.target.matches('input[name="auth_kind"]')) syncAuthKind();
  });

  document.addEventListener('click', function (evt) {
    // A button that copies the value of the field named by data-copy-target.
    var copy = evt.target.closest('[data-copy-target]');
    if (copy) {
      var field = document.getElementById(copy.getAttribute('data-copy-target'));
      if (field && navigator.clipboard) {
        navigator.clipboard.writeText(field.value);
        copy.textContent = 'Copied';
      }
      return;
    }
    // A button that removes the table row it sits in (a row of a form that can grow).
    var remove = evt.target.closest('[data-remove-row]');
    if (remove) {
      var row = remove.closest('tr');
      if (row) row.remove();
      return;
    }
    // A button that removes the element around it that its data-remove-closest selector names (a picked chip).
    var removeClosest = evt.target.closest('[data-remove-closest]');
    if (removeClosest) {
      var around = removeClosest.closest(removeClosest.getAttribute('data-remove-closest'));
      if (around) around.remove();
      return;
    }
    // A link back to the previous page; its href is where to go without history.
    var back = evt.target.closest('[data-history-back]');
    if (back && window.history.length > 1) {
      evt.preventDefault();
      window.history.back();
    }
  });

  document.body.addEventListener('htmx:afterSwap', function (evt) {
    if (evt.detail.target && evt.detail.target.id === 'modal-content') {
      var modal = document.getElementById('modal');
      // The dialog is named by its content's heading, so a screen reader says what it is about.
      var heading = evt.detail.target.querySelector('.modal-title, h1, h2, h3, h4, h5');
      if (heading) {
        if (!heading.id) heading.id = 'modal-title';
        modal.setAttribute('aria-labelledby', heading.id);
      }
      bootstrap.Modal.getOrCreateInstance(modal).show();
    }
  });
  // A swap inside an open dialog replaces the element that had the focus (the button just pressed): give
  // the focus back to the dialog, or Escape and Tab would act on the page behind it.
  document.body.addEventListener('htmx:afterSettle', function (evt) {
    var modal = document.getElementById('modal');
    if (modal && modal.classList.contains('show') && modal.contains(evt.detail.elt) &&
        !modal.contains(document.activeElement)) {
      modal.focus();
    }
  });
  document.body.addEventListener('close-modal', function () {
    var m = document.getElementById('modal');
    if (m) bootstrap.Modal.getOrCreateInstance(m).hide();
  });
  // A failed htmx request (network or server) tells the user instead of doing nothing.
  document.body.addEventListener('htmx:responseError', function (evt) {
    var xhr = evt.detail.xhr;
    if (xhr.status === 400 || xhr.status === 403 || xhr.status === 404) {
      // The portal's own explanation (input refused, role too low, or nothing there) is in the page it sent.
      var doc = new DOMParser().parseFromString(xhr.responseText || '', 'text/html');
      var box = doc.querySelector('[data-testid=forbidden] p, [data-testid=not-found] p, [data-testid=input-refused] p');
      var fallback = xhr.status === 403 ? 'You may not do this.' : (xhr.status === 404 ? 'Not found.' : 'The portal cannot accept this input.');
      showError(box ? box.textContent.trim() : fallback);
      return;
    }
    if (xhr.status === 429) {
      showError('Too many requests: wait a moment and try again.');
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
  // While a form posts, its submit buttons are disabled and the one pressed shows a spinner: a second click
  // cannot send it twice, and a slow Qualtrics visibly works. For htmx posts from the request's start to its
  // end; for ordinary posts until the next page (or until the page comes back from the history cache).
  // Buttons are disabled only after the browser or htmx has read the form, so the pressed button's
  // name and value are still sent. A form opts out with data-no-busy.
  function busyButtons(form) {
    return form ? form.querySelectorAll('button[type=submit], button:not([type]), input[type=submit]') : [];
  }
  function markBusy(form, pressed) {
    if (!form || form.hasAttribute('data-no-busy')) return;
    form.setAttribute('aria-busy', 'true');
    busyButtons(form).forEach(function (button) {
      if (button.disabled) return;
      button.disabled = true;
      button.setAttribute('data-busy', '1');
    });
    if (pressed && pressed.tagName === 'BUTTON' && !pressed.querySelector('.spinner-border')) {
      var spinner = document.createElement('span');
      spinner.className = 'spinner-border spinner-border-sm ms-1';
      spinner.setAttribute('aria-hidden', 'true');
      spinner.setAttribute('data-busy-spinner', '1');
      pressed.appendChild(spinner);
    }
  }
  function clearBusy(root) {
    root.querySelectorAll('[data-busy]').forEach(function (button) {
      button.disabled = false;
      button.removeAttribute('data-busy');
    });
    root.querySelectorAll('[data-busy-spinner]').forEach(function (el) { el.remove(); });
    if (root.removeAttribute) root.removeAttribute('aria-busy');
    root.querySelectorAll('form[aria-busy]').forEach(function (form) { form.removeAttribute('aria-busy'); });
  }
  document.addEventListener('submit', function (evt) {
    var form = evt.target;
    if (evt.defaultPrevented || (form.method || '').toLowerCase() !== 'post') return;
    if (form.hasAttribute('hx-post') || form.hasAttribute('hx-put') || form.hasAttribute('hx-delete')) return;
    var pressed = evt.submitter;
    setTimeout(function () { markBusy(form, pressed); }, 0);
  });
  document.body.addEventListener('htmx:beforeRequest', function (evt) {
    var verb = (evt.detail.requestConfig && evt.detail.requestConfig.verb) || '';
    if (verb === 'get') return;
    var elt = evt.detail.elt;
    var form = elt.tagName === 'FORM' ? elt : elt.closest('form');
    var trigger = evt.detail.requestConfig && evt.detail.requestConfig.triggeringEvent;
    var pressed = (trigger && trigger.submitter) || (elt.tagName === 'BUTTON' ? elt : null);
    if (form) {
      markBusy(form, pressed);
    } else if (pressed && !pressed.hasAttribute('data-no-busy')) {
      pressed.disabled = true;
      pressed.setAttribute('data-busy', '1');
    }
  });
  document.body.addEventListener('htmx:afterRequest', function (evt) {
    var elt = evt.detail.elt;
    var form = elt && (elt.tagName === 'FORM' ? elt : elt.closest('form'));
    var root = form && form.isConnected ? form : (elt && elt.isConnected ? elt.parentNode : null);
    if (root) clearBusy(root);  // a form the answer replaced took its busy buttons with it
  });
  window.addEventListener('pageshow', function (evt) { if (evt.persisted) clearBusy(document); });

  function showError(text) {
    var box = document.getElementById('toasts');
    if (!box) return;
    var div = document.createElement('div');
    div.className = 'toast show align-items-center border-0 text-bg-danger';
    div.setAttribute('role', 'alert');
    var row = document.createElement('div');
    row.className = 'd-flex';
    var body = document.createElement('div');
    body.className = 'toast-body';
    body.textContent = text;
    var close = document.createElement('button');
    close.type = 'button';
    close.className = 'btn-close btn-close-white me-2 m-auto';
    close.setAttribute('data-bs-dismiss', 'toast');
    close.setAttribute('aria-label', 'Close');
    row.append(body, close);
    div.appendChild(row);
    box.appendChild(div);
  }
})();
