// Confirmations des actions de la note : sans JavaScript, le lien ouvre la page de confirmation ; avec, la même
// confirmation s'ouvre dans la fenêtre modale DSFR de la page (gabarit syntheses/_confirmation.html).
document.addEventListener("click", (evenement) => {
  const lien = evenement.target.closest("a[data-pvd-modale]");
  const modale = lien && document.getElementById(lien.dataset.pvdModale);
  if (!modale || !window.dsfr) return;
  evenement.preventDefault();
  window.dsfr(modale).modal.disclose();
});
