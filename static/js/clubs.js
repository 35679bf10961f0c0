// Clubs PVD : prévient avant l'envoi si la pièce jointe dépasse la taille maximale ou n'est pas un PDF.
// Le serveur refait toujours les contrôles (extension, signature %PDF-, taille).
(function () {
  "use strict";
  document.querySelectorAll("input[type=file][data-taille-max]").forEach(function (champ) {
    var groupe = champ.closest(".fr-upload-group") || champ.parentNode;
    var message = document.createElement("p");
    message.className = "fr-error-text fr-hidden";
    message.id = champ.id + "-erreur-navigateur";
    message.setAttribute("aria-live", "polite");
    groupe.appendChild(message);
    champ.addEventListener("change", function () {
      var fichier = champ.files && champ.files[0];
      var erreur = "";
      if (fichier && !/\.pdf$/i.test(fichier.name)) {
        erreur = "La pièce jointe doit être un fichier PDF (extension .pdf).";
      } else if (fichier && fichier.size > Number(champ.dataset.tailleMax)) {
        erreur = "La pièce jointe dépasse la taille maximale de " + champ.dataset.tailleMaxMo + " Mo.";
      }
      message.textContent = erreur;
      message.classList.toggle("fr-hidden", !erreur);
      groupe.classList.toggle("fr-upload-group--error", !!erreur);
      if (erreur) {
        champ.value = "";
        champ.setAttribute("aria-describedby", message.id);
      } else {
        champ.removeAttribute("aria-describedby");
      }
    });
  });
})();
