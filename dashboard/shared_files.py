"""An uploaded dataset's page names the home page's script and style files: one URL each, fetched once.

Every dataset's app (the home page at ``/``, each upload under ``/d/<sha256>/``) serves the same Dash
scripts and the same assets folder, but under its own prefix each file has another URL, so a browser
fetched them all again (React, Dash's renderer and components, the page's own scripts and styles:
about 1 MB compressed) for every upload it opened. The plotly.js bundle is shared the same way (see
:func:`dashboard.plotlyjs.plotly_js_url`).
"""

from __future__ import annotations

from dash import Dash

#: The routes of the files an app's page names under its prefix.
_FILE_ROUTES = ("_dash-component-suites/", "assets/", "_favicon.ico")


def share_home_files(upload: Dash, home: Dash) -> None:
    """Make ``upload``'s page name ``home``'s URLs for the Dash scripts and assets both serve.

    Dash serves a component-suite file only once it is registered, which happens when an app
    renders its page: the upload's files are registered with the home app as the upload's page
    is rendered, so they are served even if nobody has opened the home page yet.
    """
    own, shared = upload.config.requests_pathname_prefix, home.config.requests_pathname_prefix
    interpolate = upload.interpolate_index

    def interpolate_index(**parts: str) -> str:
        for package, paths in upload.registered_paths.items():
            home.registered_paths[package] |= paths
        for part in ("scripts", "css", "favicon"):
            for route in _FILE_ROUTES:
                parts[part] = parts[part].replace(f'="{own}{route}', f'="{shared}{route}')
        return interpolate(**parts)

    upload.interpolate_index = interpolate_index  # type: ignore[method-assign]
