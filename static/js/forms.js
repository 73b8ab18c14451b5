/* Small form behaviours, kept in a file rather than inline handlers: the
 * Content-Security-Policy allows scripts only from our own static files.
 *   <select data-autosubmit>      submits its form when it changes
 *   <input data-select-on-focus>  selects its whole text on focus (copy a URL)
 *   <select data-reload-param="x"> reloads the page with ?x=<chosen value> */
document.addEventListener("change", function (event) {
  var field = event.target;
  if (field.matches && field.matches("select[data-autosubmit]") && field.form) {
    field.form.submit();
  }
  if (field.matches && field.matches("select[data-reload-param]") && field.value) {
    var query = new URLSearchParams();
    query.set(field.getAttribute("data-reload-param"), field.value);
    window.location.search = query.toString();
  }
});
document.addEventListener("focusin", function (event) {
  var field = event.target;
  if (field.matches && field.matches("input[data-select-on-focus]")) {
    field.select();
  }
});
