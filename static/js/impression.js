// Bouton « Imprimer la fiche » : visible seulement avec JavaScript (sans lui, l'impression du navigateur
// donne la même page, mise en forme par la feuille d'impression de pvd.css).
(function () {
  "use strict";
  document.querySelectorAll("[data-pvd-imprimer]").forEach(function (bouton) {
    bouton.hidden = false;
    bouton.addEventListener("click", function () { window.print(); });
  });
})();
