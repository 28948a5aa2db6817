// Copy buttons on the page shown after sending a transfer. Their words come from the
// page (data-copied, data-copied-status), in the page's language.
(function () {
  'use strict';
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    var label = button.textContent;
    button.addEventListener('click', function () {
      var field = document.getElementById(button.getAttribute('data-copy'));
      field.select();
      (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject())
        .catch(function () { document.execCommand('copy'); })
        .finally(function () {
          button.textContent = button.getAttribute('data-copied');
          // The button's new text is not announced; the page's status region is.
          var status = document.getElementById(button.getAttribute('data-status'));
          if (status) status.textContent = button.getAttribute('data-copied-status');
          setTimeout(function () { button.textContent = label; }, 1500);
        });
    });
  });
})();
