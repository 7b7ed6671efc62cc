"""The web page of ``xlner serve`` and the run browser of ``xlner view``: static HTML/CSS/JS
shipped in the package (no build step, no CDN) over read-only JSON endpoints."""
