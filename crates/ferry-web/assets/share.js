// Copy buttons on the page shown after sending a transfer.
(function () {
  'use strict';
  document.querySelectorAll('[data-copy]').forEach(function (button) {
    button.addEventListener('click', function () {
      var field = document.getElementById(button.getAttribute('data-copy'));
      field.select();
      (navigator.clipboard ? navigator.clipboard.writeText(field.value) : Promise.reject())
        .catch(function () { document.execCommand('copy'); })
        .finally(function () {
          button.textContent = 'Copied';
          // The button's new text is not announced; the page's status region is.
          var status = document.getElementById(button.getAttribute('data-status'));
          if (status) status.textContent = 'Link copied to the clipboard.';
          setTimeout(function () { button.textContent = 'Copy'; }, 1500);
        });
    });
  });
})();
