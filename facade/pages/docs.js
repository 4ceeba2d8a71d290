// Renders the document the page names with the Swagger UI bundle served beside it.
// A file of its own, not an inline script: the page's policy runs only scripts from this server.
window.addEventListener("load", function () {
  var node = document.getElementById("swagger-ui");
  window.ui = SwaggerUIBundle({
    url: node.dataset.url,
    dom_id: "#swagger-ui",
    deepLinking: true,
    docExpansion: "list",
    validatorUrl: null,  // no badge fetched from elsewhere
    presets: [SwaggerUIBundle.presets.apis],
  });
});
