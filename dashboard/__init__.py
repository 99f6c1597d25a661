"""The unrest-map Dash application."""

from importlib.metadata import PackageNotFoundError, version

try:
    #: Dash names the package's version when it serves the plotly.js bundle in ``vendor/``.
    __version__ = version("unrest-map")
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0.0.0"
