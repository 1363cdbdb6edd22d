// The owner's signature on the technician's phone or tablet (SVC-06), drawn with
// signature_pad (static/vendor/signature_pad). The form stays a plain POST: just before
// it is sent, the drawing goes into its hidden "signature" field as a PNG data URL (empty
// when nothing was drawn, which the server refuses with its message next to the pad).
// Nothing here checks the signature: the server does.
(function () {
  "use strict";

  function pixelRatio() {
    return Math.max(window.devicePixelRatio || 1, 1);
  }

  function setUp(form) {
    var box = form.querySelector("[data-signature-pad]");
    var canvas = box && box.querySelector("canvas");
    var value = form.querySelector("[data-signature-value]");
    var clear = form.querySelector("[data-signature-clear]");
    if (!canvas || !value || typeof window.SignaturePad !== "function") return;

    var pad = new window.SignaturePad(canvas, { penColor: "#111", minWidth: 1, maxWidth: 3 });
    var width = 0;

    // The canvas holds CSS size × devicePixelRatio pixels, so strokes are sharp on every
    // screen; a change of size clears a canvas, so the strokes are drawn again.
    function resize() {
      if (canvas.offsetWidth === width) return; // phones fire "resize" as the address bar hides
      width = canvas.offsetWidth;
      var ratio = pixelRatio();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.redraw();
    }

    function showClear() {
      if (clear) clear.hidden = pad.isEmpty();
    }

    resize();
    window.addEventListener("resize", resize);
    window.addEventListener("orientationchange", resize);

    // The server sent the page back for another field (the name, the rating): the drawing
    // the owner made is still theirs.
    if (value.value.indexOf("data:image/png;base64,") === 0) {
      pad.fromDataURL(value.value, {
        ratio: pixelRatio(), width: canvas.offsetWidth, height: canvas.offsetHeight,
      }).then(showClear, function () { value.value = ""; });
    }

    pad.addEventListener("endStroke", showClear);
    if (clear) {
      clear.addEventListener("click", function () {
        pad.clear();
        value.value = "";
        showClear();
      });
    }
    form.addEventListener("submit", function () {
      value.value = pad.isEmpty() ? "" : pad.toDataURL("image/png");
    });
  }

  function start() {
    var forms = document.querySelectorAll("form[data-signature-form]");
    for (var i = 0; i < forms.length; i += 1) setUp(forms[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
